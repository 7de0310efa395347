package cv

import (
	"fmt"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/spec"
)

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*Result)(nil)

// Details are the run's own lines: the folds, then their metrics.
func (r *Result) Details() []string {
	lines := []string{fmt.Sprintf("%s: %d folds of %s (%s, %s), seed %d; out-of-fold predictions in %s",
		r.Model, len(r.Folds), human.Plural(r.RowsIn, "article"), r.Labels, r.Splits, r.Seed, r.Predictions)}
	rows := []string{"FOLD\tARTICLES\tTRAINED ON\tCHOSEN ON\tSECONDS"}
	for _, f := range r.Folds {
		rows = append(rows, fmt.Sprintf("%d\t%d\t%d\t%d\t%.1f", f.Fold, f.Articles, f.Train, f.Val, f.Seconds))
	}
	return append(lines, spec.Columns(rows...)...)
}

// Headline is the run's key figures.
func (r *Result) Headline() string {
	return fmt.Sprintf("%s: %d folds, %s predicted out of fold", r.Model, len(r.Folds), human.Plural(r.RowsOut, "article"))
}
