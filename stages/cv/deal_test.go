package cv

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// deal keeps every group whole, gives every id one fold, and spreads each
// stratum and the totals within one group of even.
func TestDeal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		k := 3 + rng.IntN(8)
		var groups []group
		largest := map[string]int{}
		total := map[string]int{}
		for s := range 1 + rng.IntN(4) {
			stratum := fmt.Sprintf("s%d", s)
			var sizes []int
			for range rng.IntN(60) {
				sizes = append(sizes, 1+rng.IntN(1+rng.IntN(4)))
			}
			// largest first, as sql/cv/groups.sql orders them
			for i := range sizes {
				for j := i + 1; j < len(sizes); j++ {
					if sizes[j] > sizes[i] {
						sizes[i], sizes[j] = sizes[j], sizes[i]
					}
				}
			}
			for gi, n := range sizes {
				g := group{stratum: stratum}
				for m := range n {
					g.ids = append(g.ids, fmt.Sprintf("%s-%d-%d", stratum, gi, m))
				}
				groups = append(groups, g)
				largest[stratum] = max(largest[stratum], n)
				total[stratum] += n
			}
		}
		fold := deal(groups, k)
		count := map[string][]int{}
		for _, g := range groups {
			if count[g.stratum] == nil {
				count[g.stratum] = make([]int, k+1)
			}
			f := fold[g.ids[0]]
			if f < 1 || f > k {
				t.Fatalf("trial %d: fold %d of %d", trial, f, k)
			}
			for _, id := range g.ids {
				if fold[id] != f {
					t.Fatalf("trial %d: group %v split over folds", trial, g.ids)
				}
			}
			count[g.stratum][f] += len(g.ids)
		}
		for s, c := range count {
			lo, hi := c[1], c[1]
			for _, n := range c[1:] {
				lo, hi = min(lo, n), max(hi, n)
			}
			if hi-lo > largest[s] {
				t.Errorf("trial %d, stratum %s (%d articles, largest group %d): folds hold %v", trial, s, total[s], largest[s], c[1:])
			}
		}
	}
}
