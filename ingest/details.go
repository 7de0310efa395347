package ingest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/distillery/distillery/spec"
)

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*Result)(nil)

// Details are the run's own lines: what was read and what became of it,
// the rejects by reason with the first few, and what was skipped.
func (r *Result) Details() []string {
	lines := []string{fmt.Sprintf("%d records from %d files: %d new rows, %d rejected, %d duplicates (%d already in the lake)",
		r.RowsIn, r.Files, r.RowsOut, r.Rejected, r.Duplicates, r.AlreadyInLake)}
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	if r.RowsOut == 0 && r.RowsIn > 0 && r.AlreadyInLake > 0 {
		add("nothing new: every article is already in %s", spec.Raw.For(nil))
	}
	if len(r.ByReason) > 0 {
		reasons := make([]string, 0, len(r.ByReason))
		for k, v := range r.ByReason {
			reasons = append(reasons, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(reasons)
		add("rejects: %s (in %s)", strings.Join(reasons, ", "), spec.Rejects.For(nil))
		for _, rj := range r.Rejects {
			add("  %s:%d %s: %s", rj.File, rj.Line, rj.Reason, rj.Detail)
		}
	}
	if r.RejectsKnown > 0 {
		add("%d rejects were already recorded by an earlier run", r.RejectsKnown)
	}
	for _, f := range r.SkippedFolders {
		add("skipped folder %s", f)
	}
	if len(r.Skipped) > 0 {
		shown := r.Skipped
		if len(shown) > 3 {
			shown = append(shown[:3:3], "…")
		}
		add("skipped %d files that are not articles: %s", len(r.Skipped), strings.Join(shown, ", "))
	}
	return lines
}

// Headline is the run's key figures.
func (r *Result) Headline() string {
	return fmt.Sprintf("%d new articles, %d rejected, %d duplicates", r.RowsOut, r.Rejected, r.Duplicates)
}
