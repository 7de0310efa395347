package predict

import (
	"fmt"
	"strings"

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
		line += ", calibrated (" + shortName(r.Calibration) + ")"
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

// shortName is a calibration's name with its sha256 cut to 12 digits, as
// git shortens a commit: enough to tell files apart on a console line.
func shortName(name string) string {
	if i := strings.Index(name, "sha256:"); i >= 0 && len(name) > i+7+12 {
		return name[:i+7+12]
	}
	return name
}
