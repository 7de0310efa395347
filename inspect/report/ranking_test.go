package report_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/distillery/distillery/inspect/report"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/evaluate/evaltest"
)

// TestCollect_RankingAndCalibrated: a calibrated model's raw and calibrated
// figures both reach the report (the calibrated ones as "<model>
// calibrated"), with the ranking metrics of each.
func TestCollect_RankingAndCalibrated(t *testing.T) {
	ctx := context.Background()
	l, f := knownLake(t)
	evaltest.WriteModels(t, l, f, "mc")
	var preds []evaltest.Prediction
	for _, p := range []struct {
		id       string
		cal, raw float64
	}{{"t1", 8, 7.5}, {"t2", 5, 5}, {"t3", 2, 4.5}, {"t4", 4, 6}} {
		preds = append(preds, evaltest.Prediction{ID: p.id, Model: "mc", Split: "test", Depth: p.cal, Clarity: p.cal, Overall: p.cal,
			Calibration: "isotonic", RawDepth: p.raw, RawClarity: p.raw, RawOverall: p.raw})
	}
	evaltest.WritePredictions(t, l, f, preds)
	if _, err := evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "mc"}); err != nil {
		t.Fatal(err)
	}
	d, err := report.Collect(ctx, l, report.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	var models []string
	for _, e := range d.Errors {
		if !slices.Contains(models, e.Model) {
			models = append(models, e.Model)
		}
		if e.Model == "mc calibrated" && e.Dimension == "overall" && e.MAE != 0 {
			t.Errorf("mc calibrated %s MAE %g, want 0", e.Dimension, e.MAE)
		}
	}
	if fmt.Sprint(models) != "[m1 m2 mc mc calibrated]" {
		t.Errorf("models charted: %v", models)
	}
	var got []string
	for _, r := range d.Ranking {
		got = append(got, fmt.Sprintf("%s %s k%d %s %s", r.Model, r.Tier, r.K, num(r.RecallAtK), num(r.NDCGAtK)))
	}
	// mc raw ranks t1 (7.5), t4 (6), t2 (5), t3 (4.5): the tiers' articles first.
	want := "[m1 high k1 1.00 1.00 m1 mid k2 1.00 1.00 m2 high k1 1.00 1.00 m2 mid k2 1.00 1.00 mc high k1 1.00 1.00 mc mid k3 1.00 0.99 mc calibrated high k1 1.00 1.00 mc calibrated mid k3 1.00 1.00]"
	if fmt.Sprint(got) != want {
		t.Errorf("ranking rows:\n%v\nwant:\n%s", got, want)
	}
}

func num(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *p)
}
