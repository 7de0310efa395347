package compress

import (
	"fmt"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/spec"
)

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*Result)(nil)

// Details are the run's own line: what was rendered, and how.
func (r *Result) Details() []string {
	return []string{fmt.Sprintf("%s rendered (%s), %d truncated, mean %.0f words, %d already compressed",
		human.Plural(int64(r.RowsOut), "article"), r.Method, r.Truncated, r.MeanWords, r.AlreadyRendered)}
}

// Headline is the run's key figures.
func (r *Result) Headline() string { return fmt.Sprintf("%d rendered (%s)", r.RowsOut, r.Mode) }
