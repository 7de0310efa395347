// Package drifttest plants scores whose distribution moves, for the tests
// of distill drift (the stage, its command, the report): Planted.
package drifttest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/drift"
)

// Moved are the dimensions the planted shift moves.
var Moved = []string{"impact_magnitude", "scalability"}

// Planted is a lake with 300 train labels, a week of 330 scores (30
// rejected) drawn as the labels are, and a later week whose scores of the
// moved dimensions are 2.5 higher (20 of its articles undated: they fall
// back to when they were scored, the same week). It returns every value
// written, by population ("train", "earlier", "recent") and dimension.
func Planted(t testing.TB, f *filters.Filter, seed uint64) (*lake.Lake, map[string]map[string][]float64) {
	t.Helper()
	l := testutil.NewLake(t)
	return l, Plant(t, l, f, seed)
}

// Plant writes what Planted describes into l.
func Plant(t testing.TB, l *lake.Lake, f *filters.Filter, seed uint64) map[string]map[string][]float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 19))
	draw := func() float64 { return math.Max(0, math.Min(10, 5+1.5*rng.NormFloat64())) }
	values := map[string]map[string][]float64{"train": {}, "earlier": {}, "recent": {}}
	var labels []labeltest.Article
	split := map[string]string{}
	for i := range 300 {
		scores := map[string]float64{}
		for _, d := range f.DimensionNames() {
			scores[d] = math.Round(draw()) // the oracle answers whole numbers
			values["train"][d] = append(values["train"][d], scores[d])
		}
		id := fmt.Sprintf("L%04d", i)
		labels = append(labels, labeltest.Article{ID: id, Text: "text of " + id, Scores: scores})
		split[id] = "train"
	}
	labeltest.Write(t, l, f, labels)
	labeltest.WriteSplits(t, l, f, split)
	scoredAt := time.Date(2026, 1, 14, 9, 0, 0, 0, time.UTC)
	var scored []labeltest.Scored
	for w, pop := range []string{"earlier", "recent"} {
		for i := range 330 {
			a := labeltest.Scored{ID: fmt.Sprintf("S%d-%04d", w, i), Published: []string{"2026-01-06", "2026-01-13T08:00:00Z"}[w],
				ScoredAt: scoredAt, Rejected: i >= 300, Scores: map[string]float64{}}
			if pop == "recent" && i < 20 {
				a.Published = ""
			}
			for _, d := range f.DimensionNames() {
				v := draw()
				if pop == "recent" && slices.Contains(Moved, d) {
					v = math.Min(10, v+2.5)
				}
				a.Scores[d] = math.Round(v*100) / 100
				if !a.Rejected {
					values[pop][d] = append(values[pop][d], a.Scores[d])
				}
			}
			scored = append(scored, a)
		}
	}
	labeltest.WriteScores(t, l, f, scored)
	return values
}

// PSI is the population stability index computed apart from SQL, as
// distill drift defines it: 11 bins of the rounded score (clamped to 0-10),
// shares floored at drift.Epsilon.
func PSI(recent, base []float64) float64 {
	share := func(vs []float64) [11]float64 {
		var s [11]float64
		for _, v := range vs {
			s[int(math.Max(0, math.Min(10, math.Round(v))))] += 1 / float64(len(vs))
		}
		return s
	}
	r, b := share(recent), share(base)
	sum := 0.0
	for i := range r {
		ri, bi := math.Max(r[i], drift.Epsilon), math.Max(b[i], drift.Epsilon)
		sum += (ri - bi) * math.Log(ri/bi)
	}
	return sum
}
