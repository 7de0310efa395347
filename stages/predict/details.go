package predict

import (
	"fmt"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/spec"
)

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*Result)(nil)

// Details are the run's own line: what was scored with which model, how fast.
func (r *Result) Details() []string {
	how := r.Backend
	if r.Python != "" {
		how += ", " + r.Python
	}
	line := fmt.Sprintf("%s of %s (split %s) with %s (%s), %.0f articles/s", human.Plural(int64(r.Predicted), "article"), r.Input, r.Split, r.Model, how, r.ArticlesPerS)
	if r.Calibration != "" {
		line += ", calibrated (" + r.Calibration + ")"
	}
	if r.Already > 0 {
		line += fmt.Sprintf(" (%d already predicted by this model; --full predicts them again)", r.Already)
	}
	return []string{line}
}

// Headline is the run's key figures.
func (r *Result) Headline() string {
	return fmt.Sprintf("%s (%s) with %s, %.0f/s", human.Plural(int64(r.Predicted), "article"), r.Split, r.Model, r.ArticlesPerS)
}
