// Package suggest finds the names a mistyped one was probably meant to be:
// the "did you mean" of commands, flags, YAML keys, tables and filters.
package suggest

import (
	"sort"
	"strings"
)

// Closest returns the candidates nearest to name, best first: those within
// an edit distance of about a third of the name's length (at least 1, at
// most 3), or that contain it or are contained in it. Comparison ignores
// case. At most three are returned; none when nothing is close.
func Closest(name string, candidates []string) []string {
	n := strings.ToLower(name)
	if n == "" {
		return nil
	}
	limit := len([]rune(n)) / 3
	limit = max(1, min(limit, 3))
	type scored struct {
		s string
		d int
	}
	var found []scored
	seen := map[string]bool{}
	for _, c := range candidates {
		if seen[c] || c == name {
			continue
		}
		seen[c] = true
		lc := strings.ToLower(c)
		d := Distance(n, lc)
		switch {
		case d <= limit:
		case len(n) >= 3 && (strings.Contains(lc, n) || strings.Contains(n, lc) && len(lc) >= 3):
			d = limit + 1
		default:
			continue
		}
		found = append(found, scored{c, d})
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].d != found[j].d {
			return found[i].d < found[j].d
		}
		return found[i].s < found[j].s
	})
	var out []string
	for i := 0; i < len(found) && i < 3; i++ {
		out = append(out, found[i].s)
	}
	return out
}

// Phrase is " (did you mean X?)" or " (did you mean X or Y?)" for the
// closest candidates, or "" when none is close: ready to append to an error.
func Phrase(name string, candidates []string) string {
	c := Closest(name, candidates)
	if len(c) == 0 {
		return ""
	}
	return " (did you mean " + Or(c) + "?)"
}

// Or joins names as a person lists alternatives: "a", "a or b", "a, b or c".
func Or(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Distance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of two neighbours each
// cost one, so "sorce" is one from "source" and "ingets" one from "ingest".
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
