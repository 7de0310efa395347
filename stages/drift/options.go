// Package drift compares a filter's newest scores with the data its student
// learned from and with earlier scores: Run puts every article distill score
// scored in a window (its published date's ISO week, a day, or the score
// run), and measures the newest window against the oracle's labels of the
// train split and against the earlier windows, per dimension, overall and
// tier (population stability index, means, the upper tiers' share) and in
// pass rate, flags what moved beyond a threshold, and appends the figures to
// <filter>.drift. label --select drift reads them back to choose the
// articles to send to the oracle next.
package drift

import (
	"fmt"

	"github.com/distillery/distillery/filters"
)

// The windows articles are put in (Options.By).
const (
	ByWeek = "week"
	ByDay  = "day"
	ByRun  = "run"
)

// The defaults.
const (
	// DefaultThreshold is the PSI above which a row is flagged: 0.2 is the
	// usual "significant shift" (0.1-0.2 is read as moderate, below 0.1 as
	// stable).
	DefaultThreshold = 0.2
	// Moderate is the PSI from which a shift is called moderate in the text.
	Moderate = 0.1
	// DefaultPassThreshold is the change of the pass rate (a share, either
	// way) beyond which it is flagged: 5 points. The reference project's
	// prefilter went from 5.2% to 2.1% unnoticed.
	DefaultPassThreshold = 0.05
	// DefaultMinArticles is the fewest articles on each side for a row to
	// be judged: below 30, a PSI of 0.2 is within what chance gives.
	DefaultMinArticles = 30
	// Epsilon is the share an empty bin counts as (sql/drift/psi.sql).
	Epsilon = 0.001
)

// Options say how to window the scores and when a move is flagged.
type Options struct {
	Filter *filters.Filter `yaml:"-"`
	// By is week (default), day or run.
	By string `yaml:"by"`
	// Threshold is the PSI above which a row is flagged (default 0.2).
	Threshold float64 `yaml:"threshold"`
	// PassThreshold is the pass-rate change beyond which it is flagged
	// (default 0.05).
	PassThreshold float64 `yaml:"pass_threshold"`
	// MinArticles is the fewest articles on each side for a row to be
	// judged (default 30); smaller windows are reported, never flagged.
	MinArticles int `yaml:"min_articles"`
	// Combine is how several labels of one article become one (default
	// the filter's splits.combine, as train).
	Combine string `yaml:"combine"`
	// Waiting, when set, gets the line saying another drift run holds the
	// table (nil: standard error).
	Waiting func(msg string) `yaml:"-"`
}

// Validate fills defaults and checks the options.
func (o *Options) Validate() error {
	if o.Filter == nil {
		return fmt.Errorf("%w: no filter", ErrOptions)
	}
	switch o.By {
	case "":
		o.By = ByWeek
	case ByWeek, ByDay, ByRun:
	default:
		return fmt.Errorf("%w: --by %q: want week, day or run", ErrOptions, o.By)
	}
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	if o.PassThreshold == 0 {
		o.PassThreshold = DefaultPassThreshold
	}
	if o.MinArticles == 0 {
		o.MinArticles = DefaultMinArticles
	}
	if o.Threshold < 0 || o.PassThreshold < 0 || o.PassThreshold > 1 || o.MinArticles < 1 {
		return fmt.Errorf("%w: --threshold %g, --pass-threshold %g, --min-articles %d: want a positive PSI, a share between 0 and 1 and at least one article",
			ErrOptions, o.Threshold, o.PassThreshold, o.MinArticles)
	}
	if o.Combine == "" {
		o.Combine = o.Filter.Splits.Combine
	}
	return nil
}
