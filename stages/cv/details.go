package cv

import (
	"fmt"
	"strings"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/spec"
)

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*Result)(nil)

// Details are the run's own lines: each fold's size and MAE beside its
// baselines (every dimension's scores pooled), then the folds pooled.
func (r *Result) Details() []string {
	lines := []string{fmt.Sprintf("%s: %d folds of %s (%s, %s), seed %d; out-of-fold predictions in %s, metrics in %s",
		r.Model, len(r.Folds), human.Plural(r.RowsIn, "article"), r.Labels, r.Splits, r.Seed, r.Predictions, r.Evaluations)}
	rows := []string{"FOLD\tARTICLES\tTRAINED ON\tCHOSEN ON\tMAE\tMAE CAL\tMEAN\tMEDIAN"}
	for i, f := range r.Folds {
		mae, cal, mean, median := "-", "-", "-", "-"
		if i < len(r.Metrics) {
			m := r.Metrics[i]
			mae, mean, median = fmt.Sprintf("%.3f", m.All.MAE), num(m.All.BaselineMAE), num(m.All.MedianBaselineMAE)
			if m.Calibrated != nil {
				cal = fmt.Sprintf("%.3f", m.Calibrated.All.MAE)
			}
		}
		rows = append(rows, fmt.Sprintf("%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s", f.Fold, f.Articles, f.Train, f.Val, mae, cal, mean, median))
	}
	lines = append(lines, spec.Columns(rows...)...)
	for _, p := range r.Pooled {
		what := "raw"
		if p.Calibrated {
			what = "calibrated"
		}
		line := fmt.Sprintf("pooled over the folds (%s): MAE %.3f ± %.3f; predicting the training mean %.3f, the median %.3f",
			what, p.MAE, p.MAESD, p.BaselineMAE, p.MedianBaselineMAE)
		if p.RecallAtK != nil {
			line += fmt.Sprintf("; recall@k %.2f", *p.RecallAtK)
			if p.RecallAtKSD != nil {
				line += fmt.Sprintf(" ± %.2f", *p.RecallAtKSD)
			}
		}
		lines = append(lines, line)
	}
	if fl := r.NoiseFloor; fl != nil && len(fl.Mixed) > 0 {
		lines = append(lines, fmt.Sprintf("no noise floor: the labels come from %d oracles (%s); name one with --combine oracle=NAME", len(fl.Mixed), strings.Join(fl.Mixed, ", ")))
	} else if fl != nil {
		all := fl.Dimensions[curate.AllDimensions]
		line := "noise floor of the labels (" + fl.Oracle + "):"
		if fl.SelfArticles > 0 {
			line += fmt.Sprintf(" its self-MAE %s on %s of repeated answers, so a student that learned its expected answer is off by %s;",
				num(all.SelfMAE), human.Plural(fl.SelfArticles, "article"), num(all.IdealMAE))
		}
		if fl.Other != "" {
			line += fmt.Sprintf(" MAE %s against %s on %s;", num(all.InterMAE), fl.Other, human.Plural(fl.InterArticles, "article"))
		}
		lines = append(lines, line+" a pooled MAE near the floor cannot gain much by tuning")
	}
	return lines
}

func num(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *p)
}

// Headline is the run's key figures.
func (r *Result) Headline() string {
	h := fmt.Sprintf("%s: %d folds, %s predicted out of fold", r.Model, len(r.Folds), human.Plural(r.RowsOut, "article"))
	if n := len(r.Pooled); n > 0 {
		p := r.Pooled[n-1] // calibrated when there is one
		h += fmt.Sprintf(", MAE %.3f ± %.3f (training mean %.3f)", p.MAE, p.MAESD, p.BaselineMAE)
	}
	return h
}
