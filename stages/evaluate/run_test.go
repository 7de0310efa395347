package evaluate_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/evaluate/evaltest"
)

func near(got, want float64) bool { return math.Abs(got-want) < 1e-9 }

func val(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

// checkMetrics compares a row of metrics with hand-computed values; a NaN
// want is a null.
func checkMetrics(t *testing.T, got evaluate.Metrics, n int64, mae, rmse, bias, spearman, trainMean, baseMAE float64) {
	t.Helper()
	opt := func(name string, p *float64, want float64) {
		if math.IsNaN(want) != (p == nil) || p != nil && !near(*p, want) {
			t.Errorf("%s %s = %s, want %g", got.Dimension, name, val(p), want)
		}
	}
	if got.N != n || !near(got.MAE, mae) || !near(got.RMSE, rmse) || !near(got.Bias, bias) {
		t.Errorf("%s: n %d MAE %g RMSE %g bias %g, want %d %g %g %g", got.Dimension, got.N, got.MAE, got.RMSE, got.Bias, n, mae, rmse, bias)
	}
	opt("spearman", got.Spearman, spearman)
	opt("train mean", got.TrainMean, trainMean)
	opt("baseline MAE", got.BaselineMAE, baseMAE)
}

var null = math.NaN()

func TestRun_KnownMetrics(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := evaltest.Known(t, l)
	res, err := evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Models) != 1 || res.Split != "test" || res.InScope != 4 || res.Predictions != "eval_tiny.predictions@1" ||
		res.Labels != "eval_tiny.labels@1" || res.Splits != "eval_tiny.splits@1" || res.Table != "eval_tiny.evaluations" || res.Snapshot != 1 {
		t.Fatalf("res = %+v", res)
	}
	m := res.Models[0]
	if m.Model != "m1" || m.Articles != 4 || len(m.Dimensions) != 2 || m.Dimensions[0].Dimension != "depth" || m.Dimensions[1].Dimension != "clarity" {
		t.Fatalf("model = %+v", m)
	}
	checkMetrics(t, m.Dimensions[0], 4, 1.25, math.Sqrt(1.75), 0.25, 0.8, 5, 2)
	checkMetrics(t, m.Dimensions[1], 4, 1.75, math.Sqrt(5.25), 1.75, 0.5, 6, 2.5)
	checkMetrics(t, m.Overall, 4, 1.25, math.Sqrt(2.625), 1, 0.8, 5.5, 2)
	checkMetrics(t, m.All, 8, 1.5, math.Sqrt(3.5), 1, null, null, 2.25)
	if b := m.Dimensions[0].BaselineRMSE; b == nil || !near(*b, math.Sqrt(5)) {
		t.Errorf("depth baseline RMSE = %s, want √5", val(b))
	}
	// The median baseline: training medians depth 6, clarity 6, overall 4.
	for _, c := range []struct {
		got          evaluate.Metrics
		median, mmae float64
	}{{m.Dimensions[0], 6, 2}, {m.Dimensions[1], 6, 2.5}, {m.Overall, 4, 1.75}, {m.All, null, 2.25}} {
		if math.IsNaN(c.median) != (c.got.TrainMedian == nil) || c.got.TrainMedian != nil && !near(*c.got.TrainMedian, c.median) ||
			c.got.MedianBaselineMAE == nil || !near(*c.got.MedianBaselineMAE, c.mmae) {
			t.Errorf("%s: train median %s, its MAE %s; want %g, %g", c.got.Dimension, val(c.got.TrainMedian), val(c.got.MedianBaselineMAE), c.median, c.mmae)
		}
	}

	tr := m.Tiers
	if fmt.Sprint(tr.Names) != "[high mid low]" || fmt.Sprint(tr.Confusion) != "[[1 0 0] [0 2 0] [0 1 0]]" {
		t.Errorf("confusion %v %v", tr.Names, tr.Confusion)
	}
	if tr.Articles != 4 || tr.Correct != 3 || val(tr.Accuracy) != "0.75" {
		t.Errorf("tier accuracy %d/%d = %s, want 3/4", tr.Correct, tr.Articles, val(tr.Accuracy))
	}
	if tr.K != 3 || tr.Relevant != 3 || tr.Found != 3 || val(tr.RecallAtK) != "1" {
		t.Errorf("recall@k: k %d relevant %d found %d recall %s, want 3 3 3 1", tr.K, tr.Relevant, tr.Found, val(tr.RecallAtK))
	}
	if tr.ThresholdTier != "mid" || tr.Threshold != 4 || tr.TruePositives != 3 || tr.FalsePositives != 1 || tr.FalseNegatives != 0 ||
		val(tr.Precision) != "0.75" || val(tr.Recall) != "1" {
		t.Errorf("threshold: %+v", tr)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %q", res.Warnings)
	}

	// The table holds what Run returned, the confusion matrix as JSON.
	q := func(q string) []string { return testutil.QueryStrings(t, l, q) }
	rows := q(`SELECT concat_ws(' ', dimension, n, round(mae, 4), round(baseline_mae, 4), round(median_baseline_mae, 4), round(spearman, 4), tier_accuracy, k, recall_at_k,
		threshold_tier, precision, recall, split, combine, predictions_sequence, labels_sequence, splits_sequence, coalesce(compared_with, '-'))
		FROM eval_tiny.evaluations ORDER BY evaluated_at, dimension`)
	want := []string{
		"_all 8 1.5 2.25 2.25 test latest 1 1 1 -",
		"_tier:high 1 1.0 high test latest 1 1 1 -",
		"_tier:mid 3 1.0 mid test latest 1 1 1 -",
		"_tiers 4 0.75 3 1.0 mid 0.75 1.0 test latest 1 1 1 -",
		"clarity 4 1.75 2.5 2.5 0.5 test latest 1 1 1 -",
		"depth 4 1.25 2.0 2.0 0.8 test latest 1 1 1 -",
		"overall 4 1.25 2.0 1.75 0.8 test latest 1 1 1 -",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("evaluations rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	cells := q(`SELECT c.oracle || '>' || c.predicted || '=' || c.articles
		FROM eval_tiny.evaluations, unnest(from_json(confusion, '[{"oracle":"VARCHAR","predicted":"VARCHAR","articles":"BIGINT"}]')) WITH ORDINALITY AS u(c, i)
		WHERE dimension = '_tiers' ORDER BY i`)
	if strings.Join(cells, " ") != "high>high=1 high>mid=0 high>low=0 mid>high=0 mid>mid=2 mid>low=0 low>high=0 low>mid=1 low>low=0" {
		t.Errorf("confusion cells: %v", cells)
	}
	snaps, err := l.Snapshots(ctx, spec.Evaluations.In("eval_tiny"))
	if err != nil || len(snaps) != 1 {
		t.Fatal(snaps, err)
	}
	for _, in := range []string{"eval_tiny.predictions@1", "eval_tiny.labels@1", "eval_tiny.splits@1", "eval_tiny.models@1"} {
		if !strings.Contains(snaps[0].Inputs, in) {
			t.Errorf("lineage inputs %q lack %s", snaps[0].Inputs, in)
		}
	}
	if snaps[0].Stage != "eval" || !strings.Contains(snaps[0].Params, `"model":"m1"`) {
		t.Errorf("snapshot = %+v", snaps[0])
	}

	// Every run appends a snapshot; K overrides the default.
	res, err = evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "m1", K: 2})
	if err != nil {
		t.Fatal(err)
	}
	if tr := res.Models[0].Tiers; tr.K != 2 || tr.Found != 2 || !near(*tr.RecallAtK, 2.0/3) || res.Snapshot != 2 {
		t.Errorf("k=2: %+v (snapshot %d)", tr, res.Snapshot)
	}
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM eval_tiny.evaluations"); n != 14 {
		t.Errorf("%d rows after two runs, want 14", n)
	}
}

func TestRun_Compare(t *testing.T) {
	l := testutil.NewLake(t)
	f := evaltest.Known(t, l)
	res, err := evaluate.Run(context.Background(), l, evaluate.Options{Filter: f, Model: "m1", Compare: "m2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Models) != 2 || res.Models[0].Model != "m1" || res.Models[1].Model != "m2" {
		t.Fatalf("models = %+v", res.Models)
	}
	// Both on t1-t3, the articles both predicted.
	m1, m2 := res.Models[0], res.Models[1]
	checkMetrics(t, m1.Dimensions[0], 3, 1, 1, -1.0/3, 1, 5, 7.0/3)
	checkMetrics(t, m1.Dimensions[1], 3, 5.0/3, math.Sqrt(17.0/3), 5.0/3, 0.5, 6, 8.0/3)
	checkMetrics(t, m2.Dimensions[0], 3, 0, 0, 0, 1, 5, 7.0/3)
	checkMetrics(t, m2.Overall, 3, 0, 0, 0, 1, 5.5, 6.5/3)
	if val(m2.Tiers.Accuracy) != "1" || val(m1.Tiers.Accuracy) != fmt.Sprint(2.0/3) {
		t.Errorf("tier accuracy m1 %s m2 %s", val(m1.Tiers.Accuracy), val(m2.Tiers.Accuracy))
	}
	w := strings.Join(res.Warnings, "\n")
	if !strings.Contains(w, "m2 predicted 3 of the 4 labeled test articles") || !strings.Contains(w, "left out 1 article that m1 predicted and the other model did not") {
		t.Errorf("warnings: %s", w)
	}
	got := testutil.QueryStrings(t, l, "SELECT DISTINCT model || ' vs ' || compared_with FROM eval_tiny.evaluations ORDER BY 1")
	if fmt.Sprint(got) != "[m1 vs m2 m2 vs m1]" {
		t.Errorf("compared_with: %v", got)
	}
}

func TestRun_Splits(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := evaltest.Known(t, l)
	res, err := evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "m1", Split: "val"})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Models[0]
	// v1 alone: no error, one article, so no rank correlation.
	checkMetrics(t, m.Dimensions[0], 1, 0, 0, 0, null, 5, 0)
	checkMetrics(t, m.Dimensions[1], 1, 0, 0, 0, null, 6, 1)
	if w := strings.Join(res.Warnings, "\n"); !strings.Contains(w, "1 of the val articles was in train when predicted") {
		t.Errorf("warnings: %s", w)
	}
	res, err = evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "m1", Split: "all"})
	if err != nil {
		t.Fatal(err)
	}
	// Every labeled article m1 predicted: t1-t4 and v1.
	if m := res.Models[0]; m.Articles != 5 || m.Split != "all" || m.Dimensions[0].N != 5 || !near(m.Dimensions[0].MAE, 1) {
		t.Errorf("all: %+v", m)
	}
	if w := strings.Join(res.Warnings, "\n"); !strings.Contains(w, "m1 predicted 5 of the 9 labeled articles") {
		t.Errorf("warnings: %s", w)
	}
	if _, err := evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "m2", Split: "train"}); !errors.Is(err, evaluate.ErrNoPredictions) {
		t.Errorf("m2 on train (never predicted): %v", err)
	}
}

func TestRun_Errors(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := evaltest.Filter(t)
	evaltest.WriteLabels(t, l, f, []evaltest.Label{{ID: "a", Depth: 5, Clarity: 5, Split: "test"}})
	for _, tc := range []struct {
		name string
		opts evaluate.Options
		want error
		msg  string
	}{
		{"no model", evaluate.Options{Filter: f}, evaluate.ErrOptions, "--model"},
		{"bad split", evaluate.Options{Filter: f, Model: "m1", Split: "holdout"}, evaluate.ErrOptions, `"holdout"`},
		{"compare itself", evaluate.Options{Filter: f, Model: "m1", Compare: "m1"}, evaluate.ErrOptions, "the model itself"},
		{"negative k", evaluate.Options{Filter: f, Model: "m1", K: -1}, evaluate.ErrOptions, "k must be"},
		{"no models table", evaluate.Options{Filter: f, Model: "m1"}, evaluate.ErrNoModel, "distill train"},
	} {
		_, err := evaluate.Run(ctx, l, tc.opts)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want %v mentioning %s", tc.name, err, tc.want, tc.msg)
		}
		if notReady := tc.want == evaluate.ErrNoModel; errors.Is(err, spec.ErrNotReady) != notReady {
			t.Errorf("%s: errors.Is(err, spec.ErrNotReady) = %v, want %v", tc.name, !notReady, notReady)
		}
	}
	evaltest.WriteModels(t, l, f, "m1", "m3")
	_, err := evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "m1"})
	if !errors.Is(err, evaluate.ErrNoPredictions) || !errors.Is(err, spec.ErrNotReady) || !strings.Contains(err.Error(), "distill predict") {
		t.Errorf("no predictions table: %v", err)
	}
	evaltest.WritePredictions(t, l, f, []evaltest.Prediction{{ID: "a", Model: "m1", Split: "test", Depth: 5, Clarity: 5, Overall: 5}})
	_, err = evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "nope"})
	if !errors.Is(err, evaluate.ErrNoModel) || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "m1, m3") {
		t.Errorf("unknown model: %v", err)
	}
	_, err = evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "m3"})
	if !errors.Is(err, evaluate.ErrNoPredictions) || !strings.Contains(err.Error(), "no prediction of model m3") {
		t.Errorf("model without predictions: %v", err)
	}
	_, err = evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "m1", Compare: "m3"})
	if !errors.Is(err, evaluate.ErrNoPredictions) {
		t.Errorf("compare with a model without predictions: %v", err)
	}
	// A split needs the splits table; "all" does not, and has no baseline.
	l2 := testutil.NewLake(t)
	evaltest.WriteLabels(t, l2, f, []evaltest.Label{{ID: "a", Depth: 5, Clarity: 5}, {ID: "b", Depth: 1, Clarity: 2}})
	evaltest.WriteModels(t, l2, f, "m1")
	evaltest.WritePredictions(t, l2, f, []evaltest.Prediction{{ID: "a", Model: "m1", Depth: 5, Clarity: 4, Overall: 4.5}, {ID: "b", Model: "m1", Depth: 2, Clarity: 2, Overall: 2}})
	if _, err := evaluate.Run(ctx, l2, evaluate.Options{Filter: f, Model: "m1"}); !errors.Is(err, evaluate.ErrNoSplits) || !errors.Is(err, spec.ErrNotReady) || !strings.Contains(err.Error(), "distill split") {
		t.Errorf("no splits: %v", err)
	}
	res, err := evaluate.Run(ctx, l2, evaluate.Options{Filter: f, Model: "m1", Split: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Models[0]; m.Articles != 2 || m.Dimensions[0].BaselineMAE != nil || !near(m.All.MAE, 0.5) || !strings.Contains(strings.Join(res.Warnings, " "), "baseline is not available") {
		t.Errorf("all without splits: %+v %q", m, res.Warnings)
	}
	if !near(*res.Models[0].Dimensions[0].Spearman, 1) {
		t.Errorf("spearman of two ordered points = %s", val(res.Models[0].Dimensions[0].Spearman))
	}

	// Predictions of another filter version: a dimension column is missing.
	l3 := testutil.NewLake(t)
	evaltest.WriteLabels(t, l3, f, []evaltest.Label{{ID: "a", Depth: 5, Clarity: 5, Split: "test"}})
	evaltest.WriteModels(t, l3, f, "m1")
	var old lake.Schema
	for _, c := range spec.Predictions.Schema(f) {
		if c.Name != "clarity" {
			old = append(old, c)
		}
	}
	name := spec.Predictions.For(f)
	if err := l3.EnsureTable(ctx, name, old); err != nil {
		t.Fatal(err)
	}
	p, err := l3.WriteRows(ctx, name, func(rb *lake.RowBuilder) error {
		rb.String("id", "a")
		rb.String("model", "m1")
		rb.EndRow()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(ctx, lake.Commit{Stage: "predict"}); err != nil {
		t.Fatal(err)
	}
	_, err = evaluate.Run(ctx, l3, evaluate.Options{Filter: f, Model: "m1"})
	if !errors.Is(err, evaluate.ErrNoPredictions) || !strings.Contains(err.Error(), "no column clarity") {
		t.Errorf("predictions without a dimension column: %v", err)
	}
}

func TestRun_Cancelled(t *testing.T) {
	l := testutil.NewLake(t)
	f := evaltest.Known(t, l)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "m1"}); err == nil {
		t.Error("a cancelled run succeeded")
	}
	if ok, _ := l.Exists(context.Background(), spec.Evaluations.In(f.Namespace())); ok {
		t.Error("a cancelled run created the evaluations table")
	}
}

// TestRun_NoiseFloor: beside the student's error, the labels' oracle's
// self-MAE and its MAE against another oracle, when the labels have them.
func TestRun_NoiseFloor(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := evaltest.Known(t, l)
	res, err := evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "m1"})
	if err != nil || res.NoiseFloor != nil {
		t.Fatalf("one oracle asked once: floor %+v, %v", res.NoiseFloor, err)
	}
	// gemini/pro answers the test articles twice: 1 and 2 points above.
	var arts []labeltest.Article
	for i, id := range []string{"t1", "t2", "t3", "t4"} {
		for rep, up := range []float64{1, 2} {
			arts = append(arts, labeltest.Article{ID: id, Text: "text of " + id, Scores: map[string]float64{"depth": float64(i) + up, "clarity": float64(i) + up},
				Oracle: "gemini", Model: "pro", Repeat: rep, LabeledAt: time.Date(2026, 3, 1, 0, 0, rep, 0, time.UTC)})
		}
	}
	labeltest.Write(t, l, f, arts)
	res, err = evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "m1", Combine: "oracle=gemini/pro"})
	if err != nil {
		t.Fatal(err)
	}
	fl := res.NoiseFloor
	if fl == nil || fl.Oracle != "gemini/pro" || fl.SelfArticles != 4 || fl.Other != "keywords/test" || fl.InterArticles != 4 {
		t.Fatalf("floor: %+v", fl)
	}
	if d := fl.Dimensions["depth"]; d.SelfMAE == nil || *d.SelfMAE != 1 || d.IdealMAE == nil || math.Abs(*d.IdealMAE-1/math.Sqrt2) > 1e-9 || d.InterMAE == nil {
		t.Errorf("depth floor: %+v", d)
	}
	text := strings.Join(res.Details(), "\n")
	if !strings.Contains(text, "ORACLE SELF-MAE") || !strings.Contains(text, "FLOOR") || !strings.Contains(text, "VS keywords/test") || !strings.Contains(text, "two answers of gemini/pro") {
		t.Errorf("details:\n%s", text)
	}
}
