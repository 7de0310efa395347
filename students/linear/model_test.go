package linear

import (
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
