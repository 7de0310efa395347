package evaluate_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/evaluate"
)

// The reference's investment_risk v5 student (1,021 test articles):
// isotonic maps fitted on a seed-chosen half lower the other half's MAE,
// by 3-6% pooled over seeds 1-5, per dimension as measured here for seed 1.
func TestCalibrateFile_InvestmentRiskReference(t *testing.T) {
	ctx := context.Background()
	path := testutil.Shared(t, reference+"test_set_predictions.json")
	res, err := evaluate.CalibrateFile(ctx, path, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Fitted != 510 || res.Scored != 511 || res.K != evaluate.DefaultCalibrationK {
		t.Errorf("fitted on %d, scored %d, k %d: want 510, 511, %d", res.Fitted, res.Scored, res.K, evaluate.DefaultCalibrationK)
	}
	near := func(what string, got, want float64) {
		if math.Abs(got-want) > 0.0005 {
			t.Errorf("%s = %.4f, want %.4f", what, got, want)
		}
	}
	near("MAE", res.MAE, 0.4820)
	near("calibrated MAE", res.CalibratedMAE, 0.4603)
	want := map[string][4]float64{ // MAE raw, calibrated; recall@20 raw, calibrated
		"risk_domain_type":         {0.4138, 0.3787, 0.80, 0.80},
		"severity_magnitude":       {0.3203, 0.2726, 0.75, 0.75},
		"materialization_timeline": {0.6920, 0.7218, 0.65, 0.50},
		"evidence_quality":         {0.5751, 0.5717, 0.95, 0.95},
		"impact_breadth":           {0.5124, 0.4739, 0.60, 0.60},
		"retail_actionability":     {0.3787, 0.3430, 0.90, 0.85},
	}
	if len(res.PerDimension) != len(want) {
		t.Fatalf("%d dimensions, want %d", len(res.PerDimension), len(want))
	}
	for _, d := range res.PerDimension {
		w := want[d.Dimension]
		near(d.Dimension+" MAE", d.MAE, w[0])
		near(d.Dimension+" calibrated MAE", d.CalibratedMAE, w[1])
		near(d.Dimension+" recall@20", d.RecallAtK, w[2])
		near(d.Dimension+" calibrated recall@20", d.CalibratedRecallAtK, w[3])
		// A monotone map can only tie scores: recall moves by ties alone.
		if d.CalibratedRecallAtK > d.RecallAtK+1e-9 {
			t.Errorf("%s: recall@20 rose from %.2f to %.2f under a monotone map", d.Dimension, d.RecallAtK, d.CalibratedRecallAtK)
		}
	}
	for seed := uint64(1); seed <= 5; seed++ {
		r, err := evaluate.CalibrateFile(ctx, path, seed, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: MAE %.4f raw, %.4f calibrated", seed, r.MAE, r.CalibratedMAE)
		if r.CalibratedMAE >= 0.98*r.MAE {
			t.Errorf("seed %d: MAE %.4f calibrated, %.4f raw: want at least 2%% lower", seed, r.CalibratedMAE, r.MAE)
		}
		if seed > 1 && r.MAE == res.MAE {
			t.Errorf("seed %d scored the same half as seed 1", seed)
		}
	}
	lines := strings.Join(res.Lines(), "\n")
	if !strings.Contains(lines, "0.4820 raw, 0.4603 calibrated") || !strings.Contains(lines, "RECALL@20") {
		t.Errorf("lines:\n%s", lines)
	}
}

func TestCalibrateFile_TooSmall(t *testing.T) {
	var preds, labels []string
	for i := range 30 {
		preds = append(preds, fmt.Sprintf("[%d]", i%10))
		labels = append(labels, fmt.Sprintf("[%d]", (i+1)%10))
	}
	path := filepath.Join(t.TempDir(), "small.json")
	body := `{"predictions": [` + strings.Join(preds, ",") + `], "labels": [` + strings.Join(labels, ",") + `], "dimension_names": ["d"]}`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var fe *evaluate.FileError
	if _, err := evaluate.CalibrateFile(context.Background(), path, 1, 5); !errors.As(err, &fe) || !strings.Contains(err.Error(), "at least 20") {
		t.Errorf("15 articles to fit on: %v, want a FileError saying calibration needs 20", err)
	}
	if _, err := evaluate.CalibrateFile(context.Background(), path, 1, 0); !errors.As(err, &fe) || !strings.Contains(err.Error(), "recall@20") {
		t.Errorf("15 articles to score, k 20: %v", err)
	}
}
