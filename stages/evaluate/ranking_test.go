package evaluate_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/evaluate/evaltest"
)

// ranked writes five test articles the model ranks badly, tiers high >= 7,
// mid >= 4 (the decision tier), low:
//
//	article  oracle overall (tier)  predicted overall  predicted place
//	a        9 high                 3                  5
//	b        7 high                 8                  2
//	c        5 mid                  9                  1
//	d        1 low                  6                  3
//	e        4 mid                  4                  4
func ranked(t *testing.T) (*lake.Lake, *evaluate.Options) {
	t.Helper()
	l := testutil.NewLake(t)
	f := evaltest.Filter(t)
	var labels []evaltest.Label
	var preds []evaltest.Prediction
	for _, a := range []struct {
		id             string
		oracle, predic float64
	}{{"a", 9, 3}, {"b", 7, 8}, {"c", 5, 9}, {"d", 1, 6}, {"e", 4, 4}} {
		labels = append(labels, evaltest.Label{ID: a.id, Depth: a.oracle, Clarity: a.oracle, Split: "test"})
		preds = append(preds, evaltest.Prediction{ID: a.id, Model: "m", Split: "test", Depth: a.predic, Clarity: a.predic, Overall: a.predic})
	}
	evaltest.WriteLabels(t, l, f, labels)
	evaltest.WriteModels(t, l, f, "m")
	evaltest.WritePredictions(t, l, f, preds)
	return l, &evaluate.Options{Filter: f, Model: "m"}
}

func TestRun_TierRanking(t *testing.T) {
	l, opts := ranked(t)
	res, err := evaluate.Run(context.Background(), l, *opts)
	if err != nil {
		t.Fatal(err)
	}
	log3, log5 := math.Log2(3), math.Log2(5)
	// high: relevant a, b; the first 2 places hold c and b. DCG@2 = 5/1 +
	// 7/log2(3), the ideal order a, b gives 9/1 + 7/log2(3).
	// mid: relevant a, b, c, e; the first 4 places hold c, b, d, e (gains 5,
	// 7, 1, 4); the ideal order a, b, c, e (gains 9, 7, 5, 4).
	want := []evaluate.TierRanking{
		{Tier: "high", MinScore: 7, K: 2, Relevant: 2, Found: 1},
		{Tier: "mid", MinScore: 4, K: 4, Relevant: 4, Found: 3},
	}
	recall := []float64{0.5, 0.75}
	ndcg := []float64{(5 + 7/log3) / (9 + 7/log3), (5 + 7/log3 + 1.0/2 + 4/log5) / (9 + 7/log3 + 5.0/2 + 4/log5)}
	tr := res.Models[0].Tiers
	if len(tr.Upper) != len(want) {
		t.Fatalf("upper tiers: %+v", tr.Upper)
	}
	for i, got := range tr.Upper {
		w := want[i]
		if got.Tier != w.Tier || got.MinScore != w.MinScore || got.K != w.K || got.Relevant != w.Relevant || got.Found != w.Found ||
			got.RecallAtK == nil || !near(*got.RecallAtK, recall[i]) || got.NDCGAtK == nil || !near(*got.NDCGAtK, ndcg[i]) {
			t.Errorf("%s: %+v recall %s NDCG %s, want %+v recall %g NDCG %g", w.Tier, got, val(got.RecallAtK), val(got.NDCGAtK), w, recall[i], ndcg[i])
		}
	}
	// The decision tier's figures are those of today's recall@k, with its NDCG beside.
	if tr.K != 4 || tr.Found != 3 || val(tr.RecallAtK) != "0.75" || tr.NDCGAtK == nil || !near(*tr.NDCGAtK, ndcg[1]) {
		t.Errorf("recall@k %d found %d recall %s NDCG %s", tr.K, tr.Found, val(tr.RecallAtK), val(tr.NDCGAtK))
	}

	// A given k applies to every tier: at k = 1 only c is taken.
	opts.K = 1
	res, err = evaluate.Run(context.Background(), l, *opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, got := range res.Models[0].Tiers.Upper {
		wantRecall := []float64{0, 0.25}[i]
		if got.K != 1 || got.RecallAtK == nil || !near(*got.RecallAtK, wantRecall) || got.NDCGAtK == nil || !near(*got.NDCGAtK, 5.0/9) {
			t.Errorf("k=1 %s: %+v recall %s NDCG %s, want recall %g NDCG 5/9", got.Tier, got, val(got.RecallAtK), val(got.NDCGAtK), wantRecall)
		}
	}
	rows := testutil.QueryStrings(t, l, `SELECT concat_ws(' ', dimension, k, relevant, recall_at_k, round(ndcg_at_k, 6), threshold_tier, threshold, calibrated)
		FROM eval_tiny.evaluations WHERE dimension LIKE '\_tier%' ESCAPE '\' AND k = 1 ORDER BY dimension`)
	wantRows := []string{
		fmt.Sprintf("_tier:high 1 2 0.0 %g high 7.0 false", math.Round(5.0/9*1e6)/1e6),
		fmt.Sprintf("_tier:mid 1 4 0.25 %g mid 4.0 false", math.Round(5.0/9*1e6)/1e6),
		fmt.Sprintf("_tiers 1 4 0.25 %g mid 4.0 false", math.Round(5.0/9*1e6)/1e6),
	}
	if strings.Join(rows, "\n") != strings.Join(wantRows, "\n") {
		t.Errorf("evaluations rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(wantRows, "\n"))
	}
}

func TestRun_ThresholdSweep(t *testing.T) {
	l, opts := ranked(t)
	opts.RecallTarget = 0.75
	res, err := evaluate.Run(context.Background(), l, *opts)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Models[0].ThresholdSweep
	if s == nil || s.DecisionTier != "mid" || s.DecisionThreshold != 4 || s.Positives != 4 || s.RecallTarget != 0.75 || len(s.Points) != 41 {
		t.Fatalf("sweep = %+v", s)
	}
	// Positives a, b, c, e are predicted 3, 8, 9, 4; d (negative) 6.
	point := func(p evaluate.SweepPoint) string {
		return fmt.Sprintf("%g: %d predicted, %d right, precision %s recall %s F1 %s", p.Threshold, p.Predicted, p.TruePositives,
			val(p.Precision), val(p.Recall), val(p.F1))
	}
	for _, c := range []struct {
		i    int
		want string
	}{
		{0, "0: 5 predicted, 4 right, precision 0.8 recall 1 F1 " + fmt.Sprint(8.0/9)},
		{12, "3: 5 predicted, 4 right, precision 0.8 recall 1 F1 " + fmt.Sprint(8.0/9)},
		{13, "3.25: 4 predicted, 3 right, precision 0.75 recall 0.75 F1 0.75"},
		{16, "4: 4 predicted, 3 right, precision 0.75 recall 0.75 F1 0.75"},
		{17, "4.25: 3 predicted, 2 right, precision " + fmt.Sprint(2.0/3) + " recall 0.5 F1 " + fmt.Sprint(4.0/7)},
		{32, "8: 2 predicted, 2 right, precision 1 recall 0.5 F1 " + fmt.Sprint(2.0/3)},
		{36, "9: 1 predicted, 1 right, precision 1 recall 0.25 F1 0.4"},
		{40, "10: 0 predicted, 0 right, precision null recall 0 F1 0"},
	} {
		if got := point(s.Points[c.i]); got != c.want {
			t.Errorf("point %d: %s, want %s", c.i, got, c.want)
		}
	}
	// The best F1 plateau runs 0 to 3: the highest is taken. Recall 0.75 holds up to 4.
	if s.BestF1 == nil || point(*s.BestF1) != point(s.Points[12]) {
		t.Errorf("best F1: %+v", s.BestF1)
	}
	if s.ForRecallTarget == nil || point(*s.ForRecallTarget) != point(s.Points[16]) {
		t.Errorf("for recall 0.75: %+v", s.ForRecallTarget)
	}

	// The sweep is on the _tiers row, as JSON with its choices beside it.
	q := testutil.QueryStrings(t, l, `SELECT concat_ws(' ', json_array_length(threshold_sweep), threshold_sweep->>'$[16].threshold',
		threshold_sweep->>'$[16].f1', best_f1_threshold, round(best_f1, 6), recall_target, recall_target_threshold)
		FROM eval_tiny.evaluations WHERE dimension = '_tiers'`)
	if want := fmt.Sprintf("41 4.0 0.75 3.0 %g 0.75 4.0", math.Round(8.0/9*1e6)/1e6); len(q) != 1 || q[0] != want {
		t.Errorf("_tiers row: %q, want %q", q, want)
	}

	// The default target is 0.9; a target above 1 is refused.
	opts.RecallTarget = 0
	res, err = evaluate.Run(context.Background(), l, *opts)
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Models[0].ThresholdSweep; s.RecallTarget != 0.9 || s.ForRecallTarget == nil || s.ForRecallTarget.Threshold != 3 {
		t.Errorf("default target: %+v", s)
	}
	opts.RecallTarget = 1.5
	if _, err := evaluate.Run(context.Background(), l, *opts); err == nil || !strings.Contains(err.Error(), "recall target 1.5") {
		t.Errorf("recall target 1.5: %v", err)
	}
}

// TestRun_Calibrated scores model mc, whose raw output is m1's of Known and
// whose calibration maps it onto the oracle's scores exactly: the raw
// figures are m1's, the calibrated ones perfect.
func TestRun_Calibrated(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := evaltest.Known(t, l)
	evaltest.WriteModels(t, l, f, "mc")
	cal := func(id string, c, raw [3]float64) evaltest.Prediction {
		return evaltest.Prediction{ID: id, Model: "mc", Split: "test", Depth: c[0], Clarity: c[1], Overall: c[2],
			Calibration: "isotonic", RawDepth: raw[0], RawClarity: raw[1], RawOverall: raw[2]}
	}
	evaltest.WritePredictions(t, l, f, []evaltest.Prediction{
		cal("t1", [3]float64{8, 8, 8}, [3]float64{7, 8, 7.5}),
		cal("t2", [3]float64{6, 4, 5}, [3]float64{5, 5, 5}),
		cal("t3", [3]float64{2, 2, 2}, [3]float64{3, 6, 4.5}),
		cal("t4", [3]float64{4, 4, 4}, [3]float64{6, 6, 6}),
	})
	res, err := evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "mc", Compare: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	mc, m1 := res.Models[0], res.Models[1]
	if m1.Calibrated != nil || m1.Calibration != "" {
		t.Errorf("m1 has no calibration, got %q %+v", m1.Calibration, m1.Calibrated)
	}
	// Raw: m1's known figures, for both.
	for _, m := range []evaluate.Model{mc, m1} {
		checkMetrics(t, m.Dimensions[0], 4, 1.25, math.Sqrt(1.75), 0.25, 0.8, 5, 2)
		checkMetrics(t, m.Overall, 4, 1.25, math.Sqrt(2.625), 1, 0.8, 5.5, 2)
		if val(m.Tiers.Accuracy) != "0.75" || m.Tiers.FalsePositives != 1 {
			t.Errorf("%s raw tiers: %+v", m.Model, m.Tiers)
		}
	}
	c := mc.Calibrated
	if mc.Calibration != "isotonic" || c == nil || c.Model != "mc" || c.Calibration != "isotonic" || c.Articles != 4 {
		t.Fatalf("mc calibration %q, calibrated %+v", mc.Calibration, c)
	}
	checkMetrics(t, c.Dimensions[0], 4, 0, 0, 0, 1, 5, 2)
	checkMetrics(t, c.Dimensions[1], 4, 0, 0, 0, 1, 6, 2.5)
	checkMetrics(t, c.All, 8, 0, 0, 0, null, null, 2.25)
	if val(c.Tiers.Accuracy) != "1" || val(c.Tiers.RecallAtK) != "1" || val(c.Tiers.NDCGAtK) != "1" || c.Tiers.FalsePositives != 0 {
		t.Errorf("calibrated tiers: %+v", c.Tiers)
	}
	if c.ThresholdSweep == nil || c.ThresholdSweep.BestF1 == nil || val(c.ThresholdSweep.BestF1.F1) != "1" {
		t.Errorf("calibrated sweep: %+v", c.ThresholdSweep)
	}
	details := strings.Join(res.Details(), "\n")
	for _, want := range []string{"MAE A RAW  MAE A CAL  MAE B", "depth           4  1.250      0.000      1.250", "tiers of A (mc) raw: accuracy 75.0%",
		"tiers of A (mc) calibrated (isotonic): accuracy 100.0%", "by tier: high and above recall@1 100.0%, NDCG 1.000; mid and above recall@3 100.0%",
		"best F1 at 5 (precision 100.0%, recall 100.0%, F1 1.000); recall >= 90.0% up to 5"} {
		if !strings.Contains(details, want) {
			t.Errorf("details lack %q", want)
		}
	}
	rows := testutil.QueryStrings(t, l, `SELECT concat_ws(' ', model, calibrated, n, mae, acc) FROM (
		SELECT model, calibrated, count(*) AS n, round(max(mae), 4) AS mae, max(tier_accuracy) AS acc
		FROM eval_tiny.evaluations GROUP BY model, calibrated) ORDER BY model, calibrated`)
	want := "[m1 false 7 1.75 0.75 mc false 7 1.75 0.75 mc true 7 0.0 1.0]"
	if fmt.Sprint(rows) != want {
		t.Errorf("evaluations rows %v, want %s", rows, want)
	}

	// Predictions from before calibration (no raw columns) score as their
	// main columns, with no calibrated figures.
	old := testutil.NewLake(t)
	evaltest.WriteLabels(t, old, f, []evaltest.Label{{ID: "a", Depth: 5, Clarity: 5, Split: "test"}, {ID: "b", Depth: 1, Clarity: 3, Split: "test"}})
	evaltest.WriteModels(t, old, f, "m1")
	evaltest.WriteOldPredictions(t, old, f, []evaltest.Prediction{
		{ID: "a", Model: "m1", Split: "test", Depth: 4, Clarity: 5, Overall: 4.5},
		{ID: "b", Model: "m1", Split: "test", Depth: 2, Clarity: 3, Overall: 2.5},
	})
	res, err = evaluate.Run(ctx, old, evaluate.Options{Filter: f, Model: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Models[0]; m.Calibrated != nil || !near(m.All.MAE, 0.5) || !near(m.Overall.MAE, 0.5) {
		t.Errorf("old predictions: %+v", m)
	}
	if n := testutil.QueryInt(t, old, "SELECT count(*) FROM eval_tiny.evaluations WHERE calibrated"); n != 0 {
		t.Errorf("%d calibrated rows from old predictions", n)
	}
}
