// Package evaltest builds lakes for the tests of stages/evaluate and of
// `distill eval`: labels, splits, models and predictions of the test filter
// eval_tiny (two dimensions, overall = their mean, tiers high >= 7, mid >= 4,
// low), whose metrics are worked out by hand in Known's comment.
package evaltest

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// FilterDir is the eval_tiny filter package.
func FilterDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(testutil.RepoRoot(t), "stages/evaluate/testdata/eval_tiny/v1")
}

// Filter loads the eval_tiny test filter.
func Filter(t testing.TB) *filters.Filter {
	t.Helper()
	f, err := filters.Load(FilterDir(t))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Label is an article's oracle scores and split ("" for none).
type Label struct {
	ID             string
	Depth, Clarity float64
	Split          string
	BalancedOut    bool
}

// Prediction is one row of <filter>.predictions.
type Prediction struct {
	ID, Model, Split string
	Depth, Clarity   float64
	Overall          float64
	// Age puts predicted_at this long before a fixed time: the latest
	// prediction of an article counts.
	Age time.Duration
	// Calibration, when set, names the calibration that turned the raw
	// student output (RawDepth, RawClarity, RawOverall) into the scores above.
	Calibration                      string
	RawDepth, RawClarity, RawOverall float64
}

// rawColumns are the calibration columns of <filter>.predictions, added to
// its schema when it lacks them.
var rawColumns = lake.Schema{
	{Name: "depth_raw", Type: lake.Double}, {Name: "clarity_raw", Type: lake.Double},
	{Name: "overall_raw", Type: lake.Double}, {Name: "tier_raw", Type: lake.String}, {Name: "calibration", Type: lake.String},
}

var at = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)

// WriteLabels writes the labels (one snapshot) and, when any has a split,
// the splits (one snapshot).
func WriteLabels(t testing.TB, l *lake.Lake, f *filters.Filter, labels []Label) {
	t.Helper()
	var arts []labeltest.Article
	withSplit := false
	for _, a := range labels {
		arts = append(arts, labeltest.Article{ID: a.ID, Text: "text of " + a.ID, Scores: map[string]float64{"depth": a.Depth, "clarity": a.Clarity}})
		withSplit = withSplit || a.Split != ""
	}
	labeltest.Write(t, l, f, arts)
	if !withSplit {
		return
	}
	write(t, l, spec.Splits.For(f), spec.Splits.Schema(f), "split", func(rb *lake.RowBuilder) {
		for _, a := range labels {
			if a.Split == "" {
				continue
			}
			rb.String("id", a.ID)
			rb.String("split", a.Split)
			rb.Bool("balanced_out", a.BalancedOut)
			rb.EndRow()
		}
	})
}

// WriteModels adds model ids to <filter>.models.
func WriteModels(t testing.TB, l *lake.Lake, f *filters.Filter, ids ...string) {
	t.Helper()
	write(t, l, spec.Models.For(f), spec.Models.Schema(f), "train", func(rb *lake.RowBuilder) {
		for _, id := range ids {
			rb.String("id", id)
			rb.String("backend", "linear")
			rb.EndRow()
		}
	})
}

// WritePredictions appends predictions to <filter>.predictions; with a
// calibrated prediction among them, the table gains the raw columns.
func WritePredictions(t testing.TB, l *lake.Lake, f *filters.Filter, preds []Prediction) {
	t.Helper()
	schema := spec.Predictions.Schema(f)
	for _, p := range preds {
		if p.Calibration == "" {
			continue
		}
		for _, c := range rawColumns {
			if !slices.ContainsFunc(schema, func(have lake.Column) bool { return have.Name == c.Name }) {
				schema = append(schema, c)
			}
		}
		break
	}
	writePredictions(t, l, f, schema, preds)
}

// WriteOldPredictions appends predictions to a <filter>.predictions made
// without the calibration columns, as a lake from before calibration has it.
func WriteOldPredictions(t testing.TB, l *lake.Lake, f *filters.Filter, preds []Prediction) {
	t.Helper()
	old := slices.DeleteFunc(spec.Predictions.Schema(f), func(c lake.Column) bool {
		return slices.ContainsFunc(rawColumns, func(r lake.Column) bool { return r.Name == c.Name })
	})
	writePredictions(t, l, f, old, preds)
}

func writePredictions(t testing.TB, l *lake.Lake, f *filters.Filter, schema lake.Schema, preds []Prediction) {
	t.Helper()
	write(t, l, spec.Predictions.For(f), schema, "predict", func(rb *lake.RowBuilder) {
		for _, p := range preds {
			rb.String("id", p.ID)
			rb.String("model", p.Model)
			rb.Double("depth", p.Depth)
			rb.Double("clarity", p.Clarity)
			rb.Double("overall", p.Overall)
			rb.String("tier", f.TierOf(p.Overall))
			if p.Split != "" {
				rb.String("split", p.Split)
			}
			rb.Time("predicted_at", at.Add(-p.Age))
			rb.String("run_id", "predict-"+p.Model)
			if p.Calibration != "" {
				rb.Double("depth_raw", p.RawDepth)
				rb.Double("clarity_raw", p.RawClarity)
				rb.Double("overall_raw", p.RawOverall)
				rb.String("tier_raw", f.TierOf(p.RawOverall))
				rb.String("calibration", p.Calibration)
			}
			rb.EndRow()
		}
	})
}

func write(t testing.TB, l *lake.Lake, name lake.TableName, s lake.Schema, stage string, fill func(*lake.RowBuilder)) {
	t.Helper()
	ctx := context.Background()
	if err := l.EnsureTable(ctx, name, s); err != nil {
		t.Fatal(err)
	}
	p, err := l.WriteRows(ctx, name, func(rb *lake.RowBuilder) error { fill(rb); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(ctx, lake.Commit{Stage: stage}); err != nil {
		t.Fatal(err)
	}
}

// Known writes the lake whose evaluation the tests check by hand:
//
//	oracle (depth, clarity) -> overall, tier    m1 predicts (depth, clarity, overall)   m2
//	t1 test (8, 8) -> 8 high                     (7, 8, 7.5) high; an older (0, 0, 0)    (8, 8, 8)
//	t2 test (6, 4) -> 5 mid                      (5, 5, 5) mid                           (6, 4, 5)
//	t3 test (2, 2) -> 2 low                      (3, 6, 4.5) mid                         (2, 2, 2)
//	t4 test (4, 4) -> 4 mid                      (6, 6, 6) mid                           -
//	v1 val  (5, 5) -> 5 mid                      (5, 5, 5), predicted while in train     -
//	r1, r2, r3 train (2, 6), (6, 2), (7, 10): training means depth 5, clarity 6, overall 5.5
//	r4 train (10, 10), left out by --balance: not in the training means
//
// m1 on test: depth errors -1 -1 +1 +2: MAE 1.25, RMSE √1.75, bias 0.25,
// Spearman 0.8; clarity errors 0 +1 +4 +2: MAE 1.75, RMSE √5.25, bias 1.75,
// Spearman 0.5 (ties on both sides); overall errors -0.5 0 +2.5 +2: MAE 1.25,
// RMSE √2.625, bias 1, Spearman 0.8; every score pooled: MAE 1.5, RMSE √3.5.
// Baseline MAE: depth 2, clarity 2.5, overall 2, pooled 2.25. The median
// baseline (training medians depth 6, clarity 6, overall 4): depth 2,
// clarity 2.5, overall 1.75, pooled 2.25. Tiers: 3 of 4
// right (t3 low predicted mid); recall@3 = 1 (t1, t4, t2 predicted highest);
// at the mid threshold (4): precision 3/4, recall 3/3.
func Known(t testing.TB, l *lake.Lake) *filters.Filter {
	t.Helper()
	f := Filter(t)
	WriteLabels(t, l, f, []Label{
		{ID: "t1", Depth: 8, Clarity: 8, Split: "test"},
		{ID: "t2", Depth: 6, Clarity: 4, Split: "test"},
		{ID: "t3", Depth: 2, Clarity: 2, Split: "test"},
		{ID: "t4", Depth: 4, Clarity: 4, Split: "test"},
		{ID: "v1", Depth: 5, Clarity: 5, Split: "val"},
		{ID: "r1", Depth: 2, Clarity: 6, Split: "train"},
		{ID: "r2", Depth: 6, Clarity: 2, Split: "train"},
		{ID: "r3", Depth: 7, Clarity: 10, Split: "train"},
		{ID: "r4", Depth: 10, Clarity: 10, Split: "train", BalancedOut: true},
	})
	WriteModels(t, l, f, "m1", "m2")
	WritePredictions(t, l, f, []Prediction{
		{ID: "t1", Model: "m1", Split: "test", Depth: 0, Clarity: 0, Overall: 0, Age: time.Hour},
		{ID: "t1", Model: "m1", Split: "test", Depth: 7, Clarity: 8, Overall: 7.5},
		{ID: "t2", Model: "m1", Split: "test", Depth: 5, Clarity: 5, Overall: 5},
		{ID: "t3", Model: "m1", Split: "test", Depth: 3, Clarity: 6, Overall: 4.5},
		{ID: "t4", Model: "m1", Split: "test", Depth: 6, Clarity: 6, Overall: 6},
		{ID: "v1", Model: "m1", Split: "train", Depth: 5, Clarity: 5, Overall: 5},
		{ID: "t1", Model: "m2", Split: "test", Depth: 8, Clarity: 8, Overall: 8},
		{ID: "t2", Model: "m2", Split: "test", Depth: 6, Clarity: 4, Overall: 5},
		{ID: "t3", Model: "m2", Split: "test", Depth: 2, Clarity: 2, Overall: 2},
	})
	return f
}
