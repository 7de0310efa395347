package score

import (
	"fmt"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/spec"
)

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*Result)(nil)

// Details are a line per filter: what its production model scored.
func (r *Result) Details() []string {
	var lines []string
	if r.Ingest != nil {
		lines = append(lines, "ingested first: "+r.Ingest.Headline())
	}
	lines = append(lines, fmt.Sprintf("%s of corpus.raw read once for %s, %.0f articles/s", human.Plural(r.RowsIn, "new article"), human.Plural(int64(len(r.Filters)), "filter"), r.ArticlesPerS))
	for _, f := range r.Filters {
		line := fmt.Sprintf("%s: %d scored by %s (%s), %d rejected by the prefilter -> %s@%d", f.Filter, f.Scored, f.Model, f.Backend, f.Rejected, f.Table, f.Snapshot)
		if f.Calibration != "" {
			line += ", calibrated"
		}
		if f.Already > 0 {
			line += fmt.Sprintf(" (%d scored before)", f.Already)
		}
		if f.Cascade != "" && f.Scored > 0 {
			line += fmt.Sprintf("; cascade %s kept %d of the %d passed from the production model (forwarded %.1f%%)", f.Cascade, f.Cascaded, f.Scored, 100*float64(f.Scored-f.Cascaded)/float64(f.Scored))
		}
		lines = append(lines, line)
	}
	if r.Export != nil {
		lines = append(lines, fmt.Sprintf("newest scores: %s, %s", human.Plural(r.Export.Rows, "row"), r.Export.Path))
	}
	return lines
}

// Headline is the run's key figures.
func (r *Result) Headline() string {
	return fmt.Sprintf("%s scored for %s, %.0f/s", human.Plural(r.RowsIn, "article"), human.Plural(int64(len(r.Filters)), "filter"), r.ArticlesPerS)
}

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*ShadowResult)(nil)

// Details say how the candidate differs from production on real traffic.
func (r *ShadowResult) Details() []string {
	lines := []string{fmt.Sprintf("%s beside production %s: %s shadowed now, %s compared in all",
		r.Candidate, r.Production, human.Plural(r.RowsOut, "article"), human.Plural(r.Articles, "article"))}
	if r.Articles == 0 {
		return lines
	}
	pct := func(n int64) float64 { return 100 * float64(n) / float64(r.Articles) }
	lines = append(lines,
		fmt.Sprintf("pass rate: production %.1f%%, candidate %.1f%% (%+.1f points)", pct(r.ProductionPassed), pct(r.CandidatePassed), pct(r.CandidatePassed)-pct(r.ProductionPassed)),
		fmt.Sprintf("upper tiers: production %.1f%%, candidate %.1f%%", pct(r.UpperProduction), pct(r.UpperCandidate)),
		fmt.Sprintf("tier flips: %d (%.1f%%)", r.TierFlips, pct(r.TierFlips)),
		"", "DIMENSION\tARTICLES\tMAE\tMEAN DIFF (candidate - production)")
	rows := []string{lines[len(lines)-1]}
	lines = lines[:len(lines)-1]
	for _, d := range r.Dimensions {
		rows = append(rows, fmt.Sprintf("%s\t%d\t%.3f\t%+.3f", d.Dimension, d.Articles, d.MAE, d.MeanDiff))
	}
	lines = append(lines, spec.Columns(rows...)...)
	if len(r.Flips) > 0 {
		lines = append(lines, "", "tier flips, production -> candidate:")
		for _, f := range r.Flips {
			lines = append(lines, fmt.Sprintf("  %s -> %s: %d", f.From, f.To, f.Articles))
		}
	}
	if len(r.Changed) > 0 {
		lines = append(lines, "", "articles that changed tier, largest moves first:")
		for _, c := range r.Changed {
			lines = append(lines, fmt.Sprintf("  %s: %s (%s) -> %s (%s)", c.ID, c.From, num(c.ProductionOverall), c.To, num(c.CandidateOverall)))
		}
	}
	return lines
}

// Headline is the run's key figures.
func (r *ShadowResult) Headline() string {
	return fmt.Sprintf("%s vs %s on %s, %d tier flips", r.Candidate, r.Production, human.Plural(r.Articles, "article"), r.TierFlips)
}

func num(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *v)
}

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*CascadeResult)(nil)

// Details say what the threshold keeps and forwards.
func (r *CascadeResult) Details() []string {
	if r.Threshold == 0 && r.Val.Articles == 0 {
		return []string{"cascade off: distill score sends every passed article to the production model"}
	}
	state := "measured only: distill cascade ... --enable turns it on for distill score"
	if r.Enabled {
		state = "on: distill score forwards to the production model only the articles at or above the threshold"
	}
	return []string{
		fmt.Sprintf("first stage %s, threshold %.3f on its overall score (chosen to keep %.1f%% of val positives)", r.First, r.Threshold, 100*r.TargetRecall),
		fmt.Sprintf("val:  %d articles, %d positives: keeps %.1f%% of positives, forwards %.1f%%", r.Val.Articles, r.Val.Positives, 100*r.Val.Recall, 100*r.Val.Forwarded),
		fmt.Sprintf("test: %d articles, %d positives: keeps %.1f%% of positives, forwards %.1f%% (%.2fx less work for the production model)", r.Test.Articles, r.Test.Positives, 100*r.Test.Recall, 100*r.Test.Forwarded, r.Speedup),
		state,
	}
}

// Headline is the run's key figures.
func (r *CascadeResult) Headline() string {
	return fmt.Sprintf("%s at %.3f: test recall %.3f, forwards %.3f", r.First, r.Threshold, r.Test.Recall, r.Test.Forwarded)
}
