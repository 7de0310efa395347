package probe

import (
	"fmt"
	"slices"
)

// grid is the penalties tried: base, then those widening added.
type grid struct {
	base, lambdas []float64
	// widened holds, per dimension, the penalties added for it.
	widened map[int][]float64
}

// grow widens the grid past an edge where a chosen penalty sits (a best
// value on the edge says the right one lies beyond) once the penalty just
// tried, li, is the last.
func (g *grid) grow(li int, chosen []float64) {
	if li != len(g.lambdas)-1 {
		return
	}
	lo, hi := slices.Min(g.lambdas), slices.Max(g.lambdas)
	below, above := 0, 0
	for _, x := range g.lambdas {
		if x < slices.Min(g.base) {
			below++
		}
		if x > slices.Max(g.base) {
			above++
		}
	}
	var next []float64
	add := func(d int, x float64) {
		if !slices.Contains(next, x) {
			next = append(next, x)
		}
		g.widened[d] = append(g.widened[d], x)
	}
	for d, l := range chosen {
		switch {
		case l == lo && below < MaxWiden:
			add(d, lo/4)
		case l == hi && above < MaxWiden:
			add(d, hi*4)
		}
	}
	g.lambdas = append(g.lambdas, next...)
}

// notes are the report's lines on widening, one per dimension widened, or
// one for all when they share a penalty.
func (g *grid) notes(dims []string, chosen []float64, shared bool) []string {
	var out []string
	for d := range dims {
		if len(g.widened[d]) == 0 {
			continue
		}
		who := dims[d]
		if shared {
			who = "every dimension (one shared penalty)"
		}
		out = append(out, fmt.Sprintf("%s: the best penalty was on the edge of the grid %v; tried %v beyond it, chose %g",
			who, g.base, g.widened[d], chosen[d]))
		if shared {
			break
		}
	}
	return out
}
