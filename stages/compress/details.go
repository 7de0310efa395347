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
	out := []string{fmt.Sprintf("%s rendered (%s), %d truncated, mean %.0f words, %d already compressed",
		human.Plural(int64(r.RowsOut), "article"), r.Method, r.Truncated, r.MeanWords, r.AlreadyRendered)}
	if r.BoilerplateSeq > 0 {
		learned := "no source learned again"
		if r.BoilerplateLearned > 0 {
			learned = fmt.Sprintf("%s learned (%.1f s)", human.Plural(r.BoilerplateLearned, "source"), r.LearnSeconds)
		}
		line := fmt.Sprintf("boilerplate: corpus.boilerplate@%d, %s", r.BoilerplateSeq, learned)
		if r.RowsOut > 0 {
			line += fmt.Sprintf("; %d of the %d rendered cut with their source's model, %d by the rules alone", r.Cut, r.RowsOut, int64(r.RowsOut)-r.Cut)
		}
		out = append(out, line)
		if r.OlderModel > 0 {
			out = append(out, fmt.Sprintf("%s cut by an older model of their source (kept, with their labels and splits): compress --full recuts them",
				human.Plural(r.OlderModel, "text")))
		}
	}
	return out
}

// Headline is the run's key figures.
func (r *Result) Headline() string { return fmt.Sprintf("%d rendered (%s)", r.RowsOut, r.Mode) }
