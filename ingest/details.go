package ingest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/spec"
)

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*Result)(nil)

// Details are the run's own lines: what was read and what became of it,
// the rejects by reason with the first few, and what was skipped.
func (r *Result) Details() []string {
	lines := []string{fmt.Sprintf("%s from %s: %s, %d rejected, %s (%d already in the lake)",
		human.Plural(int64(r.RowsIn), "record"), human.Plural(int64(r.Files), "file"), human.Plural(int64(r.RowsOut), "new row"),
		r.Rejected, human.Plural(int64(r.Duplicates), "duplicate"), r.AlreadyInLake)}
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
		add("%s already recorded by an earlier run", human.Plural(int64(r.RejectsKnown), "reject was", "rejects were"))
	}
	for _, f := range r.SkippedFolders {
		add("skipped folder %s", f)
	}
	if len(r.Skipped) > 0 {
		shown := r.Skipped
		if len(shown) > 3 {
			shown = append(shown[:3:3], "…")
		}
		add("skipped %s not articles: %s", human.Plural(int64(len(r.Skipped)), "file that is", "files that are"), strings.Join(shown, ", "))
	}
	return lines
}

// Headline is the run's key figures.
func (r *Result) Headline() string {
	return fmt.Sprintf("%s, %d rejected, %s", human.Plural(int64(r.RowsOut), "new article"), r.Rejected, human.Plural(int64(r.Duplicates), "duplicate"))
}
