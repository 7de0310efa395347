package selection

import "testing"

// FuzzParse: any --select text is a plan or an ErrPlan, never a panic; a
// plan prints as text that parses to itself, and shares any budget out
// exactly, a random part taking at least one when the budget allows.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"random", "upper:0.5,random:0.5", "similar:0.25,diverse:0.75", "upper:0.2,uncertain:0.3,random:0.5", "upper:1e-3,random:0.999", "x:1", ":", ",,"} {
		f.Add(s, 7)
	}
	f.Fuzz(func(t *testing.T, s string, budget int) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(p.String())
		if err != nil || again.String() != p.String() {
			t.Fatalf("%q parsed to %s, which parses to %v, %v", s, p, again, err)
		}
		budget = budget % 100000
		if budget < 0 {
			budget = -budget
		}
		n := p.counts(budget)
		sum := 0
		for i, k := range n {
			if k < 0 {
				t.Fatalf("%s, budget %d: part %d gets %d", p, budget, i, k)
			}
			if p[i].random() && k == 0 && budget >= len(p) {
				t.Fatalf("%s, budget %d: the random part gets nothing", p, budget)
			}
			sum += k
		}
		if sum != budget {
			t.Fatalf("%s, budget %d: shared as %v", p, budget, n)
		}
	})
}
