package evaluate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/evaluate/evaltest"
)

// After a new split, eval on test leaves out the articles a model trained
// on under the split it trained with: m3 trained with splits@1, where r1
// and r2 were training articles; splits@2 deals them to test, and m3
// "predicts" them perfectly, as a memorised article can be.
func TestRun_LeavesOutArticlesTheModelTrainedOn(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := evaltest.Known(t, l)
	commit := func(tb *spec.Table, replace bool, fill func(*lake.RowBuilder)) {
		p, err := l.WriteRows(ctx, tb.For(f), func(rb *lake.RowBuilder) error { fill(rb); return nil })
		if err == nil {
			_, err = p.Commit(ctx, lake.Commit{Stage: "test", Replace: replace})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	commit(spec.Models, false, func(rb *lake.RowBuilder) {
		rb.String("id", "m3")
		rb.String("backend", "linear")
		rb.Long("splits_sequence", 1)
		rb.EndRow()
	})
	commit(spec.Splits, true, func(rb *lake.RowBuilder) {
		for id, split := range map[string]string{"t1": "test", "t2": "test", "t3": "test", "t4": "test", "v1": "val",
			"r1": "test", "r2": "test", "r3": "train", "r4": "train"} {
			rb.String("id", id)
			rb.String("split", split)
			rb.EndRow()
		}
	})
	var preds []evaltest.Prediction
	for _, p := range []struct {
		id       string
		d, c, ov float64
	}{{"t1", 7, 8, 7.5}, {"t2", 5, 5, 5}, {"t3", 3, 6, 4.5}, {"t4", 6, 6, 6}, {"r1", 2, 6, 4}, {"r2", 6, 2, 4}} {
		preds = append(preds, evaltest.Prediction{ID: p.id, Model: "m3", Split: "test", Depth: p.d, Clarity: p.c, Overall: p.ov})
	}
	evaltest.WritePredictions(t, l, f, preds)
	res, err := evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: "m3"})
	if err != nil {
		t.Fatal(err)
	}
	warned := strings.Join(res.Warnings, "\n")
	t.Log(warned)
	n := res.Models[0].Dimensions[0].N
	if n != 4 || !strings.Contains(warned, "2 of the 6 test articles") || !strings.Contains(warned, "m3 (2, trained with eval_tiny.splits@1)") {
		t.Errorf("scored %d articles, warned %q; want the 4 m3 never saw, and a warning", n, warned)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM eval_tiny.evaluations WHERE model = 'm3' AND dimension = 'depth' AND n = 4"); got != 1 {
		t.Errorf("evaluations rows of m3 on 4 articles: %d, want 1", got)
	}
}
