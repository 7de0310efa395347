package train

import (
	"fmt"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/spec"
)

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*Result)(nil)

// Details are the run's own lines: the model, where it was saved, and its
// validation error per dimension next to the training mean's.
func (r *Result) Details() []string {
	m := r.Model
	lines := []string{fmt.Sprintf("%s student %s on %s (%s, %s), saved in %s", m.Backend, m.ID, human.Plural(int64(m.TrainRows), "example"), r.Labels, r.Splits, m.Artifact)}
	if line := weightLine(m.Params); line != "" {
		lines = append(lines, line)
	}
	if m.ValRows > 0 {
		lines = append(lines, fmt.Sprintf("validation MAE %.3f over %s (predicting the training mean: %.3f)", m.ValMAE, human.Plural(int64(m.ValRows), "article"), m.BaseMAE))
		var dims []string
		for i, d := range m.Dimensions {
			if i < len(m.ValMAEDims) {
				dims = append(dims, fmt.Sprintf("%s\t%.3f", d, m.ValMAEDims[i])+r.Calibration.column(i))
			}
		}
		if len(dims) > 0 {
			lines = append(lines, spec.Columns(dims...)...)
		}
		if line := selectedLine(m.Params); line != "" {
			lines = append(lines, line)
		}
	}
	return append(lines, r.Calibration.lines()...)
}

// Headline is the run's key figures.
func (r *Result) Headline() string {
	m := r.Model
	return fmt.Sprintf("%s on %s: validation MAE %.3f (training mean %.3f)", m.ID, human.Plural(int64(m.TrainRows), "example"), m.ValMAE, m.BaseMAE)
}
