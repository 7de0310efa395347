package drift

import (
	"fmt"
	"strings"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/spec"
)

// Result is a drift run: the windows, each comparison of the newest window
// with a baseline, and what was flagged.
type Result struct {
	spec.Summary
	Filter string `json:"filter"`
	By     string `json:"by"`
	// Window is the one compared: the newest holding at least MinArticles
	// scored articles (else the newest). Windows are every window, newest
	// first: Position 0 for a newer one too small to compare.
	Window  string   `json:"window"`
	Windows []Window `json:"windows"`
	// Train is the number of train-split articles with labels (0: no
	// labels or splits, so no train baseline).
	Train int64 `json:"train_articles"`
	// TrainSource says what the train baseline's scores are: the model's
	// own predictions of the training articles (predictions:MODEL), or the
	// oracle's labels ("labels") when the model did not predict them all.
	TrainSource string `json:"train_source,omitempty"`
	// DatedByScoredAt counts the scored articles (of every window) that had
	// no usable published date, so were dated by when they were scored.
	DatedByScoredAt int64 `json:"dated_by_scored_at"`
	Rows            []Row `json:"rows"`
	// Flagged are the rows flagged; Dimensions the dimensions among them
	// (a dimension, overall, tier or pass_rate), in the rows' order.
	Flagged    []Row    `json:"flagged"`
	Dimensions []string `json:"flagged_dimensions"`
	// Threshold, PassThreshold and MinArticles are the rules applied.
	Threshold     float64 `json:"threshold"`
	PassThreshold float64 `json:"pass_threshold"`
	MinArticles   int     `json:"min_articles"`
	// Next is the command that sends the articles of the moved bins to the
	// oracle (empty when nothing was flagged).
	Next string `json:"next,omitempty"`
	// Notes say what the figures rest on (no labels, dates that fell back).
	Notes []string `json:"notes"`
}

// Window is one window of scored articles.
type Window struct {
	Name string `json:"name"`
	// Position is 1 for the window compared, 2, 3, ... for the ones before
	// it (newest first), 0 for a newer one too small to compare.
	Position        int   `json:"position"`
	Articles        int64 `json:"articles"`
	Passed          int64 `json:"passed"`
	DatedByScoredAt int64 `json:"dated_by_scored_at"`
}

// Row is the newest window against one baseline on one dimension.
type Row struct {
	Baseline         string   `json:"baseline"`
	Dimension        string   `json:"dimension"`
	RecentArticles   int64    `json:"recent_articles"`
	BaselineArticles int64    `json:"baseline_articles"`
	PSI              *float64 `json:"psi"`
	// Chance is the PSI reached 1 time in 1000 with nothing moved, for
	// these article counts and bins: a row is flagged only above it.
	Chance        *float64 `json:"chance"`
	RecentValue   *float64 `json:"recent_value"`
	BaselineValue *float64 `json:"baseline_value"`
	Change        *float64 `json:"change"`
	Flagged       bool     `json:"flagged"`
	Note          string   `json:"note,omitempty"`
}

var _ spec.Result = (*Result)(nil)

// Headline is the flagged dimensions in a few words.
func (r *Result) Headline() string {
	if len(r.Dimensions) == 0 {
		return fmt.Sprintf("window %s: nothing moved beyond the thresholds", r.Window)
	}
	return fmt.Sprintf("window %s: %s moved (%s)", r.Window, human.Plural(int64(len(r.Dimensions)), "dimension"), strings.Join(r.Dimensions, ", "))
}

// Level reads a PSI as the text calls it.
func Level(psi *float64, threshold float64) string {
	switch {
	case psi == nil:
		return ""
	case *psi > threshold:
		return "significant"
	case *psi > Moderate:
		return "moderate"
	}
	return "stable"
}

func show(p *float64, format string) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf(format, *p)
}

// Details are the windows, one table per baseline, the flags and the next
// command.
func (r *Result) Details() []string {
	lines := []string{fmt.Sprintf("drift of %s by %s: window %s against %s", r.Filter, r.By, r.Window, baselines(r))}
	var ws []string
	for _, w := range r.Windows {
		ws = append(ws, fmt.Sprintf("%s %d scored, %d passed", w.Name, w.Articles, w.Passed))
	}
	// A year of weeks is a line nobody reads: the newest dozen, and a count.
	if len(ws) > 12 {
		ws = append(ws[:12], fmt.Sprintf("and %d older (--json lists them all)", len(ws)-12))
	}
	lines = append(lines, "windows, newest first: "+strings.Join(ws, "; "))
	var rows []string
	flush := func() {
		if len(rows) > 0 {
			lines = append(lines, spec.Columns(rows...)...)
		}
		rows = nil
	}
	for i, row := range r.Rows {
		if i == 0 || row.Baseline != r.Rows[i-1].Baseline {
			flush()
			lines = append(lines, fmt.Sprintf("against %s:", row.Baseline))
			rows = append(rows, "  DIMENSION\tPSI\tRECENT\tBASELINE\tCHANGE\tARTICLES\tFLAG")
		}
		flag := Level(row.PSI, r.Threshold)
		if row.PSI == nil {
			flag = "stable"
		}
		if row.Flagged {
			flag = "FLAGGED"
		}
		if row.Note != "" {
			flag = "not judged: too few articles"
		}
		rows = append(rows, fmt.Sprintf("  %s\t%s\t%s\t%s\t%s\t%d / %d\t%s", row.Dimension, show(row.PSI, "%.3f"), show(row.RecentValue, "%.2f"),
			show(row.BaselineValue, "%.2f"), show(row.Change, "%+.2f"), row.RecentArticles, row.BaselineArticles, flag))
	}
	flush()
	lines = append(lines, fmt.Sprintf("PSI over 11 bins (scores rounded to 0-10; tiers for tier), empty bins counted as %g; flagged above %g (%g-%g reads as moderate) and above what chance reaches 1 time in 1,000 for the articles compared, pass rate beyond ±%g; a side under %d articles, or one earlier window of several, is not judged",
		Epsilon, r.Threshold, Moderate, r.Threshold, r.PassThreshold, r.MinArticles))
	lines = append(lines, r.Notes...)
	if len(r.Flagged) == 0 {
		lines = append(lines, "nothing moved beyond the thresholds")
	} else {
		lines = append(lines, "flagged: "+strings.Join(r.FlaggedError().Moved, "; "))
	}
	if r.Next != "" {
		lines = append(lines, "label what moved: "+r.Next)
	}
	return lines
}

func baselines(r *Result) string {
	var parts []string
	if r.Train > 0 {
		what := "the training labels"
		if m, ok := strings.CutPrefix(r.TrainSource, "predictions:"); ok {
			what = "its own scores of the training articles (" + m + ")"
		}
		parts = append(parts, fmt.Sprintf("%s (%d articles)", what, r.Train))
	}
	if n := len(r.Windows) - r.newer() - 1; n > 0 {
		parts = append(parts, fmt.Sprintf("%s before it", human.Plural(int64(n), "window")))
	}
	if len(parts) == 0 {
		return "nothing (no labels, no earlier window)"
	}
	return strings.Join(parts, " and ")
}

// FlaggedError is the run's flags as an error, for --fail-on-drift.
func (r *Result) FlaggedError() *FlaggedError {
	e := &FlaggedError{Window: r.Window}
	for _, row := range r.Flagged {
		if row.PSI != nil {
			e.Moved = append(e.Moved, fmt.Sprintf("%s against %s PSI %.2f", row.Dimension, row.Baseline, *row.PSI))
		} else if row.Change != nil {
			e.Moved = append(e.Moved, fmt.Sprintf("%s against %s %+.1f points", row.Dimension, row.Baseline, 100**row.Change))
		}
	}
	return e
}

// newer counts the windows newer than the one compared (too small).
func (r *Result) newer() int {
	n := 0
	for _, w := range r.Windows {
		if w.Position == 0 {
			n++
		}
	}
	return n
}
