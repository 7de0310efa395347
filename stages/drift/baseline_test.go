package drift_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/drift"
)

// A student's scores are smoother than the oracle's whole-number labels:
// with nothing moved, against the labels PSI flags the student's own shape
// (on the README's tour lake every dimension but two was flagged, PSI up to
// 13, with equal means); once the model that scored the stream predicted
// the training articles too, the train baseline is its own scores of them
// and nothing is flagged.
func TestRun_TrainBaselineIsTheStudentsOwnScores(t *testing.T) {
	ctx := context.Background()
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	l := testutil.NewLake(t)
	rng := rand.New(rand.NewPCG(7, 7))
	truth := func() float64 { return math.Max(0, math.Min(10, 5+2*rng.NormFloat64())) }
	student := func(x float64) float64 { return math.Round((5+0.4*(x-5))*100) / 100 } // regressed to the mean
	var labels []labeltest.Article
	split := map[string]string{}
	preds := map[string]map[string]float64{}
	for i := range 400 {
		id := fmt.Sprintf("L%04d", i)
		s, p := map[string]float64{}, map[string]float64{}
		for _, d := range f.DimensionNames() {
			x := truth()
			s[d], p[d] = math.Round(x), student(x)
		}
		labels = append(labels, labeltest.Article{ID: id, Text: "text of " + id, Scores: s})
		split[id], preds[id] = "train", p
	}
	labeltest.Write(t, l, f, labels)
	labeltest.WriteSplits(t, l, f, split)
	var scored []labeltest.Scored
	for i := range 400 {
		a := labeltest.Scored{ID: fmt.Sprintf("S%04d", i), Published: "2026-01-13", ScoredAt: time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC), Scores: map[string]float64{}}
		for _, d := range f.DimensionNames() {
			a.Scores[d] = student(truth())
		}
		scored = append(scored, a)
	}
	labeltest.WriteScores(t, l, f, scored)

	flagged := func(res *drift.Result) (n int) {
		for _, r := range res.Rows {
			if r.Baseline == "train" && r.Flagged && r.Dimension != "tier" && r.Dimension != "overall" {
				n++
			}
		}
		return n
	}
	res, err := drift.Run(ctx, l, drift.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.TrainSource != "labels" || flagged(res) == 0 || !strings.Contains(strings.Join(res.Notes, "\n"), "--split train") {
		t.Fatalf("against the labels: source %q, %d dimensions flagged, notes %q; want labels, some flagged, the predict command", res.TrainSource, flagged(res), res.Notes)
	}
	if err := spec.Predictions.Ensure(ctx, l, f); err != nil {
		t.Fatal(err)
	}
	p, err := l.WriteRows(ctx, spec.Predictions.For(f), func(rb *lake.RowBuilder) error {
		for id, s := range preds {
			rb.String("id", id)
			rb.String("model", "m1")
			for d, v := range s {
				rb.Double(d, v)
			}
			overall, _ := f.ScoreOf(s)
			rb.Double("overall", overall)
			rb.String("tier", f.TierOf(overall))
			rb.Time("predicted_at", time.Now())
			rb.String("run_id", l.RunID)
			rb.EndRow()
		}
		return nil
	})
	if err == nil {
		_, err = p.Commit(ctx, lake.Commit{Stage: spec.Predict.Name})
	}
	if err != nil {
		t.Fatal(err)
	}
	res, err = drift.Run(ctx, l, drift.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.TrainSource != "predictions:m1" || flagged(res) != 0 {
		t.Errorf("against the student's own scores: source %q, %d dimensions flagged; want none", res.TrainSource, flagged(res))
		for _, r := range res.Rows {
			if r.Flagged {
				t.Logf("%+v psi %v", r, *r.PSI)
			}
		}
	}
}
