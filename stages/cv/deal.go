package cv

// group is a duplicate group: its members always share a fold.
type group struct {
	stratum string
	ids     []string
}

// deal assigns each group a fold in 1..k, in the order given (sql/cv/
// groups.sql: by stratum, largest group first, then a seeded hash): each
// group goes to the fold with the fewest articles of its stratum, then the
// fewest articles in all, then the lowest number. Every stratum is thus
// spread over the folds within one group of even, and the folds' sizes
// within one group of each other.
func deal(groups []group, k int) map[string]int {
	fold := map[string]int{}
	total := make([]int, k)
	inStratum := map[string][]int{}
	for _, g := range groups {
		counts := inStratum[g.stratum]
		if counts == nil {
			counts = make([]int, k)
			inStratum[g.stratum] = counts
		}
		best := 0
		for f := 1; f < k; f++ {
			if counts[f] < counts[best] || counts[f] == counts[best] && total[f] < total[best] {
				best = f
			}
		}
		counts[best] += len(g.ids)
		total[best] += len(g.ids)
		for _, id := range g.ids {
			fold[id] = best + 1
		}
	}
	return fold
}
