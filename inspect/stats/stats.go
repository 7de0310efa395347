// Package stats describes a filter's labels: tier counts and shares,
// per-dimension summaries and 0-10 histograms, labels by oracle and prompt,
// cost, and split balance. Every number comes from the SQL under sql/stats/
// over the combined labels of curate. Run is the entry point; Scope,
// Distribution, Sources, OracleCost and SplitBalance compute its figures in
// a session curate.Prepare has filled, which is how the report shows them.
package stats

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Options say which labels to describe.
type Options struct {
	Filter *filters.Filter
	// Labels pins the labels snapshot; the zero Ref is the current one.
	Labels lake.Ref
	// Splits pins the splits snapshot read for Split and the balance table.
	Splits lake.Ref
	// Split limits the statistics to one split (train, val, test).
	Split string
	// Combine is the rule for articles with several labels (latest, mean).
	Combine string
}

// Validate fills defaults and checks the options.
func (o *Options) Validate() error {
	if o.Filter == nil {
		return errors.New("stats: no filter")
	}
	if o.Labels.Table == "" {
		o.Labels = lake.Ref{TableName: spec.Labels.For(o.Filter)}
	}
	if o.Splits.Table == "" {
		o.Splits = spec.Splits.Ref(o.Filter)
	}
	if o.Combine == "" {
		o.Combine = o.Filter.Splits.Combine
	}
	switch o.Split {
	case "", "train", "val", "test", "excluded":
	default:
		return fmt.Errorf("split %q: want train, val, test or excluded", o.Split)
	}
	return curate.CheckCombine(o.Combine)
}

// Tier is one tier's count.
type Tier struct {
	Tier     string  `json:"tier"`
	MinScore float64 `json:"min_score"`
	Articles int64   `json:"articles"`
	Share    float64 `json:"share"`
}

// Dimension summarises one dimension's scores.
type Dimension struct {
	Name      string    `json:"dimension"`
	Weight    float64   `json:"weight"`
	Articles  int64     `json:"articles"`
	Mean      float64   `json:"mean"`
	Std       float64   `json:"std"`
	Min       float64   `json:"min"`
	Max       float64   `json:"max"`
	Histogram [11]int64 `json:"histogram"` // bin b: scores in [b, b+1); bin 10: the 10s
}

// Source is the label rows of one oracle, model and prompt.
type Source struct {
	Oracle       string    `json:"oracle"`
	Model        string    `json:"model"`
	FilterSHA256 string    `json:"filter_sha256"`
	Imported     bool      `json:"imported"`
	Labels       int64     `json:"labels"`
	Articles     int64     `json:"articles"`
	Cached       int64     `json:"cached"`
	CostUSD      float64   `json:"cost_usd"`
	First        time.Time `json:"first_labeled"`
	Last         time.Time `json:"last_labeled"`
}

// Cost is what the oracle has cost so far.
type Cost struct {
	Calls        int64   `json:"calls"`
	FailedCalls  int64   `json:"failed_calls"`
	TokensIn     int64   `json:"tokens_in"`
	TokensOut    int64   `json:"tokens_out"`
	CostUSD      float64 `json:"cost_usd"`
	LabelCostUSD float64 `json:"label_cost_usd"`
}

// SplitTier is one (split, tier) cell of the split balance.
type SplitTier struct {
	Split    string  `json:"split"`
	Tier     string  `json:"tier"`
	Articles int64   `json:"articles"`
	Share    float64 `json:"share"`
	Used     int64   `json:"used"`
}

// Result is everything stats reports.
type Result struct {
	Labels     string      `json:"labels"` // the snapshot read, ns.table@N
	Splits     string      `json:"splits,omitempty"`
	Split      string      `json:"split,omitempty"`
	Combine    string      `json:"combine"`
	LabelRows  int64       `json:"label_rows"`
	Articles   int64       `json:"articles"`
	Tiers      []Tier      `json:"tiers"`
	Dimensions []Dimension `json:"dimensions"`
	Sources    []Source    `json:"sources"`
	Cost       Cost        `json:"cost"`
	Balance    []SplitTier `json:"split_balance,omitempty"`
	// Footer is the compressed texts still holding footer phrases (nil:
	// the filter has no compressed snapshot).
	Footer   *Footer  `json:"footer_phrases,omitempty"`
	Warnings []string `json:"warnings"`
}

// Run computes the statistics.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	prep, err := curate.Prepare(ctx, sess, f, opts.Labels, opts.Combine)
	if err != nil {
		return nil, err
	}
	res := &Result{Labels: prep.Labels.Ref().String(), Combine: prep.Combine, LabelRows: prep.LabelRows, Split: opts.Split, Warnings: []string{}}

	splitsRel, splitsSnap, err := sess.Relation(ctx, opts.Splits)
	if err != nil && !errors.Is(err, lake.ErrNoTable) {
		return nil, err
	}
	if splitsSnap != nil {
		res.Splits = splitsSnap.Ref().String()
	}
	if opts.Split != "" && splitsSnap == nil {
		return nil, fmt.Errorf("--split %s: %s has no snapshot yet: run `distill split --filter DIR` first", opts.Split, opts.Splits)
	}
	if _, err := curate.DefineCalls(ctx, sess, f); err != nil {
		return nil, err
	}
	if err := Scope(ctx, sess, opts.Split, splitsRel); err != nil {
		return nil, err
	}
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM stats_articles", &res.Articles); err != nil {
		return nil, err
	}
	if res.Tiers, res.Dimensions, err = Distribution(ctx, sess); err != nil {
		return nil, err
	}
	if res.Sources, err = Sources(ctx, sess); err != nil {
		return nil, err
	}
	if res.Cost, err = OracleCost(ctx, sess); err != nil {
		return nil, err
	}
	if splitsSnap != nil {
		if res.Balance, err = SplitBalance(ctx, sess, splitsRel); err != nil {
			return nil, err
		}
	}
	if res.Footer, err = FooterPhraseCounts(ctx, l, sess, f); err != nil {
		return nil, err
	}
	res.Warnings = TierWarnings(res.Tiers, res.Articles, f.Splits.MinTierShare, f.Splits.MaxTierShare)
	return res, nil
}

// TierWarnings flags tiers outside the healthy range of shares: a rare tier
// is what a student most often fails on, a dominant one what it learns to
// always predict.
func TierWarnings(tiers []Tier, total int64, minShare, maxShare float64) []string {
	out := []string{}
	if total == 0 {
		return out
	}
	for _, t := range tiers {
		switch {
		case t.Share < minShare:
			out = append(out, fmt.Sprintf("tier %s is %.1f%% of the articles (%d), under %.0f%%: label more articles likely to reach it (a prefilter or a targeted corpus) rather than oversampling", t.Tier, 100*t.Share, t.Articles, 100*minShare))
		case t.Share > maxShare:
			out = append(out, fmt.Sprintf("tier %s is %.1f%% of the articles (%d), over %.0f%%: consider `distill split --balance`", t.Tier, 100*t.Share, t.Articles, 100*maxShare))
		}
	}
	return out
}
