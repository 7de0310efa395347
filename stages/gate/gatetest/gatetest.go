// Package gatetest builds the lakes of the tests of stages/gate and of
// distill gate: candidates planted better than, equal to and worse than the
// production model.
package gatetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/evaluate/evaltest"
	"github.com/distillery/distillery/stages/gate"
)

// Planted fills l with the eval_tiny filter's 40 training and 80 test
// articles, labeled by oracle gemini (the test ones by testOracle when it
// is not ""), and the predictions of four models trained on them: prod,
// tagged production (the oracle plus noise of sd 1), better (sd 0.3),
// equal (prod's very predictions) and worse (sd 1, biased +1.5).
func Planted(t testing.TB, l *lake.Lake, testOracle string) *filters.Filter {
	t.Helper()
	ctx := context.Background()
	f := evaltest.Filter(t)
	rng := rand.New(rand.NewPCG(7, 7))
	type art struct {
		id, split      string
		depth, clarity float64
	}
	var arts []art
	var labels []labeltest.Article
	for i := range 120 {
		a := art{id: fmt.Sprintf("a%03d", i), split: "train", depth: float64(rng.IntN(11)), clarity: float64(rng.IntN(11))}
		oracle := "gemini"
		if i >= 40 {
			a.split = "test"
			if testOracle != "" {
				oracle = testOracle
			}
		}
		arts = append(arts, a)
		labels = append(labels, labeltest.Article{ID: a.id, Text: "text " + a.id, Scores: map[string]float64{"depth": a.depth, "clarity": a.clarity},
			Oracle: oracle, Model: oracle + "-model"})
	}
	labeltest.Write(t, l, f, labels)
	Write(t, l, spec.Split, spec.Splits, f, func(rb *lake.RowBuilder) {
		for _, a := range arts {
			rb.String("id", a.id)
			rb.String("split", a.split)
			rb.String("run_id", "split")
			rb.EndRow()
		}
	})
	Write(t, l, spec.Train, spec.Models, f, func(rb *lake.RowBuilder) {
		for _, m := range []string{"prod", "better", "equal", "worse"} {
			rb.String("id", m)
			rb.String("backend", "linear")
			rb.Long("labels_sequence", 1)
			rb.Long("splits_sequence", 1)
			rb.String("run_id", "train")
			rb.EndRow()
		}
	})
	var preds []evaltest.Prediction
	clip := func(v float64) float64 { return min(10, max(0, v)) }
	for _, a := range arts[40:] {
		noise := [2]float64{rng.NormFloat64(), rng.NormFloat64()}
		for _, m := range []struct {
			id         string
			sd, bias   float64
			noiseAgain bool
		}{{"prod", 1, 0, false}, {"equal", 1, 0, false}, {"better", 0.3, 0, true}, {"worse", 1, 1.5, true}} {
			n := noise
			if m.noiseAgain {
				n = [2]float64{rng.NormFloat64(), rng.NormFloat64()}
			}
			d, c := clip(a.depth+m.bias+m.sd*n[0]), clip(a.clarity+m.bias+m.sd*n[1])
			overall, _ := f.ScoreOf(map[string]float64{"depth": d, "clarity": c})
			preds = append(preds, evaltest.Prediction{ID: a.id, Model: m.id, Split: "test", Depth: d, Clarity: c, Overall: overall})
		}
	}
	evaltest.WritePredictions(t, l, f, preds)
	if _, err := gate.Tag(ctx, l, gate.TagOptions{Filter: f, Tag: gate.Production, Model: "prod"}); err != nil {
		t.Fatal(err)
	}
	return f
}

// Write commits the rows fill makes to the table t of f, creating it, as
// a run of stage st.
func Write(tb testing.TB, l *lake.Lake, st *spec.Spec, t *spec.Table, f *filters.Filter, fill func(*lake.RowBuilder)) {
	tb.Helper()
	write(tb, l, st, t, f, false, fill)
}

// Rewrite makes the rows fill makes the whole of the table t of f, as
// split writes <filter>.splits.
func Rewrite(tb testing.TB, l *lake.Lake, st *spec.Spec, t *spec.Table, f *filters.Filter, fill func(*lake.RowBuilder)) {
	tb.Helper()
	write(tb, l, st, t, f, true, fill)
}

func write(tb testing.TB, l *lake.Lake, st *spec.Spec, t *spec.Table, f *filters.Filter, replace bool, fill func(*lake.RowBuilder)) {
	tb.Helper()
	ctx := context.Background()
	if err := t.Ensure(ctx, l, f); err != nil {
		tb.Fatal(err)
	}
	p, err := l.WriteRows(ctx, t.For(f), func(rb *lake.RowBuilder) error { fill(rb); return nil })
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := p.Commit(ctx, lake.Commit{Stage: st.Name, Replace: replace}); err != nil {
		tb.Fatal(err)
	}
}
