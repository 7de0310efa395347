package drifttest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Student is a student smoother than its oracle, as students are: the
// oracle answers the truth rounded to a whole number, the student 0.4 of
// the truth's distance from 5, to the hundredth. Draw is the truth.
type Student struct {
	rng *rand.Rand
}

// NewStudent draws truths from N(5, 2) clamped to 0-10, seeded.
func NewStudent(seed uint64) *Student { return &Student{rng: rand.New(rand.NewPCG(seed, 7))} }

// Draw is a truth.
func (s *Student) Draw() float64 { return math.Max(0, math.Min(10, 5+2*s.rng.NormFloat64())) }

// Score is the student's score of truth x.
func (s *Student) Score(x float64) float64 { return math.Round((5+0.4*(x-5))*100) / 100 }

// Scores are the student's scores of n fresh truths, per dimension.
func (s *Student) Scores(f *filters.Filter) map[string]float64 {
	out := map[string]float64{}
	for _, d := range f.DimensionNames() {
		out[d] = s.Score(s.Draw())
	}
	return out
}

// Train writes n training articles (L0000...) with the oracle's labels and
// a train split, and returns the student's scores of them by id (for
// Predictions).
func (s *Student) Train(t testing.TB, l *lake.Lake, f *filters.Filter, n int) map[string]map[string]float64 {
	t.Helper()
	var labels []labeltest.Article
	split := map[string]string{}
	preds := map[string]map[string]float64{}
	for i := range n {
		id := fmt.Sprintf("L%04d", i)
		lab, p := map[string]float64{}, map[string]float64{}
		for _, d := range f.DimensionNames() {
			x := s.Draw()
			lab[d], p[d] = math.Round(x), s.Score(x)
		}
		labels = append(labels, labeltest.Article{ID: id, Text: "text of " + id, Scores: lab})
		split[id], preds[id] = "train", p
	}
	labeltest.Write(t, l, f, labels)
	labeltest.WriteSplits(t, l, f, split)
	return preds
}

// Predictions writes model's predictions of the articles to
// <filter>.predictions.
func Predictions(t testing.TB, l *lake.Lake, f *filters.Filter, model string, preds map[string]map[string]float64) {
	t.Helper()
	ctx := context.Background()
	if err := spec.Predictions.Ensure(ctx, l, f); err != nil {
		t.Fatal(err)
	}
	p, err := l.WriteRows(ctx, spec.Predictions.For(f), func(rb *lake.RowBuilder) error {
		for id, s := range preds {
			rb.String("id", id)
			rb.String("model", model)
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
}
