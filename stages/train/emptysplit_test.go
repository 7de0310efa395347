package train_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/split"
	"github.com/distillery/distillery/stages/train"
)

// A split a command needs that has no articles stops the command before it
// writes, saying what each split holds and how to give it some: train on a
// test-only split (now allowed: --ratios 0,0,1, for a model trained
// elsewhere), predict on a split with no test articles (it once wrote "0
// articles" and eval then asked to run predict first).
func TestEmptySplit_StopsTrainAndPredict(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	var arts []labeltest.Article
	for i := range 40 {
		id := fmt.Sprintf("e%02d", i)
		arts = append(arts, labeltest.Article{ID: id, Text: fmt.Sprintf("solar farm %d w%d x%d y%d", i, i*7, i*13, i*31), Score: float64(i % 10)})
	}
	labeltest.Write(t, l, f, arts)

	if _, err := split.Run(ctx, l, split.Options{Filter: f, Ratios: []float64{0, 0, 1}}); err != nil {
		t.Fatalf("a test-only split: %v", err)
	}
	_, err := train.Run(ctx, l, train.Options{Filter: f})
	var empty *curate.EmptySplitError
	if !errors.Is(err, curate.ErrEmptySplit) || !errors.As(err, &empty) || empty.Split != "train" || empty.Counts["test"] != 40 ||
		!strings.Contains(err.Error(), "train 0, val 0, test 40") || !strings.Contains(err.Error(), "--ratios 0.8,0.1,0.1") {
		t.Errorf("train on a test-only split: %v", err)
	}

	sp, err := split.Run(ctx, l, split.Options{Filter: f, Ratios: []float64{0.9, 0.1, 0}, Fresh: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := train.Run(ctx, l, train.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	_, err = predict.Run(ctx, l, predict.Options{Filter: f, Model: res.Model.ID})
	if !errors.As(err, &empty) || empty.Split != "test" || !strings.Contains(err.Error(), "--split train|val|test|all") {
		t.Errorf("predict on an empty test split: %v", err)
	}
	if snap, err := l.Current(ctx, spec.Predictions.For(f)); snap != nil || err != nil {
		t.Errorf("predict on an empty split committed %v (%v)", snap, err)
	}
	var val int64
	for _, s := range sp.Strata {
		val += s.Val
	}
	if p, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: res.Model.ID, Split: "val"}); err != nil || val == 0 || p.RowsOut != val {
		t.Errorf("predict --split val: %v, %d rows of the %d val articles", err, p.RowsOut, val)
	}
}

// A training split with a few articles is refused before training, as an
// empty one is: a student fitted on them learns nothing but the mean.
func TestTinySplit_StopsTrain(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	var arts []labeltest.Article
	for i := range 16 {
		id := fmt.Sprintf("t%02d", i)
		arts = append(arts, labeltest.Article{ID: id, Text: fmt.Sprintf("solar farm %d w%d x%d", i, i*7, i*13), Score: float64(i % 10)})
	}
	labeltest.Write(t, l, f, arts)
	if _, err := split.Run(ctx, l, split.Options{Filter: f, Ratios: []float64{0.5, 0.25, 0.25}}); err != nil {
		t.Fatal(err)
	}
	_, err := train.Run(ctx, l, train.Options{Filter: f})
	var tiny *curate.EmptySplitError
	if !errors.Is(err, curate.ErrTinySplit) || !errors.As(err, &tiny) || tiny.Min != train.MinTrain || !strings.Contains(err.Error(), "has only") ||
		!strings.Contains(err.Error(), "distill cv") {
		t.Errorf("train on 8 training articles: %v", err)
	}
	if snap, _ := l.Current(ctx, spec.Models.For(f)); snap != nil {
		t.Errorf("train on a tiny split committed %v", snap)
	}
}

// Training articles labeled by two oracles: train says so, naming both.
func TestRun_WarnsOfMixedOracles(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	var arts []labeltest.Article
	for i := range 40 {
		a := labeltest.Article{ID: fmt.Sprintf("e%02d", i), Text: fmt.Sprintf("solar farm %d w%d x%d y%d", i, i*7, i*13, i*31), Score: float64(i % 10)}
		if i%2 == 1 {
			a.Oracle, a.Model = "gemini", "gemini-2.5-flash"
		}
		arts = append(arts, a)
	}
	labeltest.Write(t, l, f, arts)
	if _, err := split.Run(ctx, l, split.Options{Filter: f, Ratios: []float64{0.9, 0.1, 0}}); err != nil {
		t.Fatal(err)
	}
	res, err := train.Run(ctx, l, train.Options{Filter: f, Calibrate: new(bool)})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(res.Warnings, "\n")
	if !strings.Contains(w, "the labels of the training articles come from 2 sources") || !strings.Contains(w, "gemini/gemini-2.5-flash") || !strings.Contains(w, "keywords/test") {
		t.Errorf("training on two oracles' labels, warned %q", w)
	}
}
