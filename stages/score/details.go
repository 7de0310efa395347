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
