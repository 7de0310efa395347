package linear

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// A best penalty on the edge of the grid widens it, and the report says so:
// noise-free labels want less penalty than a grid of one large value; random
// labels want more than a grid of one small value (the mean, in the limit).
func TestTrain_GridWidensAtItsEdges(t *testing.T) {
	train, val := synthetic(800, 1), synthetic(200, 2)
	cfg := DefaultConfig()
	cfg.Lambdas = []float64{64}
	m, rep, err := Train(train, val, []string{"a", "b"}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Widened) == 0 || m.Lambda[0] >= 64 || !strings.Contains(rep.Widened[0], "the best penalty was on the edge of the grid [64]") {
		t.Errorf("a clean signal with a grid of [64]: chose %v, report %q", m.Lambda, rep.Widened)
	}
	noise := synthetic(800, 4)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range noise {
		noise[i].Labels = []float64{float64(rng.IntN(11)), float64(rng.IntN(11))}
	}
	cfg.Lambdas = []float64{0.01}
	m, rep, err = Train(noise, val, []string{"a", "b"}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Widened) == 0 || m.Lambda[0] <= 0.01 {
		t.Errorf("random labels with a grid of [0.01]: chose %v, report %q", m.Lambda, rep.Widened)
	}
}

// A one-penalty grid is on both edges at once: the report lists the
// penalties tried on both sides, so the one chosen is among them (it listed
// only those below while choosing one above).
func TestTrain_WidenedReportListsTheChosenPenalty(t *testing.T) {
	cfg := Config{Bits: 14, NGrams: 2, MinDF: 2, Lambdas: []float64{0.001}, MaxIter: 50}
	m, rep, err := Train(synthetic(500, 1), synthetic(200, 2), []string{"a", "b"}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Widened) != 2 {
		t.Fatalf("widened = %q", rep.Widened)
	}
	for d, line := range rep.Widened {
		chose := fmt.Sprintf("chose %g", m.Lambda[d])
		tried := line[strings.Index(line, "tried [")+len("tried ") : strings.Index(line, " beyond")]
		if !strings.HasSuffix(line, chose) || !strings.Contains(tried, fmt.Sprintf("%g", m.Lambda[d])) {
			t.Errorf("%s: %q does not list the chosen penalty %g among those tried", m.Dimensions[d], line, m.Lambda[d])
		}
	}
}

// TrainSelect shares one penalty across dimensions: the one the selector
// scores highest, whose score the report keeps; a best score on the edge
// widens the grid, and the report says so once, for every dimension.
func TestTrainSelect_SharesThePenaltyTheSelectorPrefers(t *testing.T) {
	train, val := synthetic(500, 1), synthetic(200, 2)
	cfg := DefaultConfig()
	var seen int
	// Prefers the flattest predictions: the largest penalty, past the grid.
	flat := func(pred [][]float64) float64 {
		seen++
		if len(pred) != len(val) || len(pred[0]) != 2 {
			t.Fatalf("selector got %dx%d predictions", len(pred), len(pred[0]))
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, p := range pred {
			lo, hi = math.Min(lo, p[0]), math.Max(hi, p[0])
		}
		return -(hi - lo)
	}
	m, rep, err := TrainSelect(train, val, []string{"a", "b"}, cfg, flat)
	if err != nil {
		t.Fatal(err)
	}
	want := 16.0 * 4 * 4 * 4 * 4 // the largest of the grid, widened MaxWiden times
	if m.Lambda[0] != want || m.Lambda[1] != want {
		t.Errorf("chose %v, want %g for both", m.Lambda, want)
	}
	if seen != len(cfg.Lambdas)+MaxWiden || rep.Selected >= 0 || rep.ValMAE == nil {
		t.Errorf("selector called %d times, report %+v", seen, rep)
	}
	if len(rep.Widened) != 1 || !strings.HasPrefix(rep.Widened[0], "every dimension (one shared penalty)") {
		t.Errorf("widened = %q", rep.Widened)
	}
	// Without a selector: per dimension, as before.
	byMAE, _, err := TrainSelect(train, val, []string{"a", "b"}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if byMAE.Lambda[0] == want {
		t.Errorf("MAE chose %v too: the selector made no difference", byMAE.Lambda)
	}
}
