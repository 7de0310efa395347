// Package selection chooses which articles to spend an oracle budget on
// (distill label --select): random, similar (nearest the mean of seed
// articles' embeddings), uncertain (the student's predicted overall score
// nearest a tier boundary), upper (predicted in an upper tier, then the
// highest predicted) and
// diverse (spread over embedding clusters), or a mixture of them. Every
// pick carries its inclusion probability within the pool it was drawn
// from, so an evaluation can weight the labels back to the whole pool
// (Horvitz-Thompson): 1 for a deterministic pick (similar, uncertain,
// upper, drift), the share of its stratum for a random or diverse one. Choose is
// pure: the stage reads the pool from the lake.
package selection

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The strategies.
const (
	Random    = "random"
	Similar   = "similar"
	Uncertain = "uncertain"
	Upper     = "upper"
	Diverse   = "diverse"
	Drift     = "drift"
)

// Strategies lists them, for messages.
var Strategies = []string{Random, Similar, Uncertain, Upper, Diverse, Drift}

// Part is one strategy of a plan and its share of the budget.
type Part struct {
	Strategy string
	Share    float64
}

// Plan is a selection: its parts, the ones that choose by a score
// (similar, uncertain, upper, drift) in the order given, then the one that draws
// at random (random or diverse), which also takes whatever the others
// could not fill.
type Plan []Part

// Parse reads a plan: one strategy ("upper"), or a mixture with shares
// that sum to 1 ("upper:0.5,random:0.5").
func Parse(s string) (Plan, error) {
	var p Plan
	for _, term := range strings.Split(s, ",") {
		term = strings.TrimSpace(term)
		name, share, hasShare := strings.Cut(term, ":")
		part := Part{Strategy: name, Share: 1}
		if !slices.Contains(Strategies, name) {
			return nil, fmt.Errorf("%w: %q in %q: want one of %s, alone or as STRATEGY:SHARE,... (e.g. upper:0.5,random:0.5)", ErrPlan, name, s, strings.Join(Strategies, ", "))
		}
		if hasShare {
			v, err := strconv.ParseFloat(share, 64)
			if err != nil || !(v > 0 && v <= 1) {
				return nil, fmt.Errorf("%w: %q: a share is a number above 0 and at most 1", ErrPlan, term)
			}
			part.Share = v
		}
		for _, q := range p {
			if q.Strategy == name {
				return nil, fmt.Errorf("%w: %s named twice in %q", ErrPlan, name, s)
			}
			if q.random() && part.random() {
				return nil, fmt.Errorf("%w: %q draws at random twice (%s and %s): keep one, the other's share is its", ErrPlan, s, q.Strategy, name)
			}
		}
		p = append(p, part)
	}
	var sum float64
	for _, q := range p {
		sum += q.Share
	}
	if math.Abs(sum-1) > 1e-9 {
		return nil, fmt.Errorf("%w: the shares of %q sum to %g: they must sum to 1", ErrPlan, s, sum)
	}
	slices.SortStableFunc(p, func(a, b Part) int {
		switch {
		case a.random() == b.random():
			return 0
		case b.random():
			return -1
		}
		return 1
	})
	return p, nil
}

func (p Part) random() bool { return p.Strategy == Random || p.Strategy == Diverse }

// String is the plan as Parse reads it, scoring parts first.
func (p Plan) String() string {
	if len(p) == 1 {
		return p[0].Strategy
	}
	var terms []string
	for _, q := range p {
		terms = append(terms, q.Strategy+":"+strconv.FormatFloat(q.Share, 'g', -1, 64))
	}
	return strings.Join(terms, ",")
}

// Uses reports whether the plan has the strategy.
func (p Plan) Uses(strategy string) bool {
	return slices.ContainsFunc(p, func(q Part) bool { return q.Strategy == strategy })
}

// NeedsVectors reports whether the plan reads embeddings.
func (p Plan) NeedsVectors() bool { return p.Uses(Similar) || p.Uses(Diverse) }

// NeedsPredictions reports whether the plan reads a student's predictions.
func (p Plan) NeedsPredictions() bool { return p.Uses(Upper) || p.Uses(Uncertain) }

// NeedsDrift reports whether the plan reads the latest drift run.
func (p Plan) NeedsDrift() bool { return p.Uses(Drift) }

// Unbiased reports whether every article of the pool can be drawn: the
// plan has a random or diverse part, so weighted metrics estimate the
// whole pool.
func (p Plan) Unbiased() bool { return slices.ContainsFunc(p, Part.random) }

// counts shares budget by the parts' shares: largest remainders, ties to
// the earlier part; a random part gets at least one when the budget allows.
func (p Plan) counts(budget int) []int {
	n := make([]int, len(p))
	rest := make([]float64, len(p))
	left := budget
	for i, q := range p {
		x := q.Share * float64(budget)
		n[i] = int(math.Floor(x + 1e-9))
		rest[i] = x - float64(n[i])
		left -= n[i]
	}
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rest[a] > rest[b]:
			return -1
		case rest[a] < rest[b]:
			return 1
		}
		return 0
	})
	for _, i := range order[:min(left, len(order))] {
		n[i]++
	}
	// A random part rounded down to nothing takes one from the largest
	// part, so a small budget still draws at random.
	for i, q := range p {
		if q.random() && n[i] == 0 && budget >= len(p) {
			big := slices.Index(n, slices.Max(n))
			n[big]--
			n[i]++
		}
	}
	return n
}
