package selection

import (
	"fmt"
	"math"
	"slices"
)

// Pool is the articles a selection draws from, in a seeded random order
// (the order of label --sample: the first n are a uniform sample of n).
// The slices other than IDs are per article, in IDs' order, and only
// needed by the strategies that read them.
type Pool struct {
	IDs []string
	// Strata are the articles' strata for a stratified random draw (the
	// tier the free keywords scoring gives each): nil draws unstratified.
	Strata []string
	// StrataOrder is the order of the strata in which a remainder too
	// small to share goes one each (ShareEvenly); strata it does not name
	// follow in the order they first appear.
	StrataOrder []string
	// Vectors are the articles' embeddings (nil: not embedded), for
	// similar and diverse; Seeds are the seed articles' for similar.
	Vectors [][]float32
	Seeds   [][]float32
	// Overall is a student's predicted overall score (NaN: no
	// prediction) and Upper whether it puts the article in a tier above
	// the lowest, for upper and uncertain: upper takes the articles
	// predicted in an upper tier, highest first, then (a young student
	// predicts few there) the highest predicted of the rest. Boundaries
	// are the tiers' lower bounds above the lowest tier's, for uncertain.
	Overall    []float64
	Upper      []bool
	Boundaries []float64
	// Drift is how far each article's scores sit where the newest window
	// moved away from the labels (NaN or 0: not there), for drift: the
	// highest first.
	Drift []float64
}

// Pick is one article chosen: its index in the pool, the strategy that
// chose it and its inclusion probability: the chance that the article was
// chosen, given the pool.
type Pick struct {
	Index     int
	By        string
	Inclusion float64
}

// Outcome is a selection: the picks in the order they were made, and
// what a strategy could not fill (passed on to the random part).
type Outcome struct {
	Picks []Pick
	// Short is, per strategy, how many of its share it had no candidate
	// for (upper with too few articles predicted upper).
	Short map[string]int
}

// Choose picks up to budget articles of the pool by the plan; seed fixes
// diverse's clustering. Scoring parts pick first, each the best of what is
// left by its score; the random part then draws its share, plus what the
// scoring parts could not fill, from what is left.
func Choose(p Plan, budget int, pool Pool, seed uint64) (*Outcome, error) {
	if err := check(p, pool); err != nil {
		return nil, err
	}
	taken := make([]bool, len(pool.IDs))
	out := &Outcome{Short: map[string]int{}}
	carry := 0
	for i, n := range p.counts(budget) {
		part := p[i]
		if part.random() {
			picks, err := drawRandom(part.Strategy, n+carry, pool, taken, seed)
			if err != nil {
				return nil, err
			}
			out.Picks = append(out.Picks, picks...)
			carry = 0
			continue
		}
		order := ranked(part.Strategy, pool, taken)
		got := min(n, len(order))
		for _, idx := range order[:got] {
			taken[idx] = true
			out.Picks = append(out.Picks, Pick{Index: idx, By: part.Strategy, Inclusion: 1})
		}
		if got < n {
			out.Short[part.Strategy] = n - got
			carry += n - got
		}
	}
	return out, nil
}

// check says what a strategy of the plan lacks.
func check(p Plan, pool Pool) error {
	n := len(pool.IDs)
	if p.NeedsVectors() && len(pool.Vectors) != n {
		return fmt.Errorf("%w: %s reads the articles' embeddings: run distill embed --filter DIR first", ErrInputs, p)
	}
	if p.Uses(Similar) && len(pool.Seeds) == 0 {
		return fmt.Errorf("%w: similar needs seed articles (--seeds ID,... or --seeds-file FILE)", ErrInputs)
	}
	if p.NeedsDrift() && len(pool.Drift) != n {
		return fmt.Errorf("%w: %s reads the latest drift run's moved score ranges", ErrInputs, p)
	}
	if p.NeedsPredictions() && (len(pool.Overall) != n || len(pool.Upper) != n) {
		return fmt.Errorf("%w: %s reads a student's predictions of the articles", ErrInputs, p)
	}
	return nil
}

// ranked is the untaken articles a scoring strategy can choose, best
// first; ties keep the pool's order.
func ranked(strategy string, pool Pool, taken []bool) []int {
	// A candidate ranks by first (upper: predicted in an upper tier,
	// whatever a calibration did to overall), then by score.
	type candidate struct {
		i     int
		first bool
		score float64
	}
	var cs []candidate
	var mean []float32
	if strategy == Similar {
		mean = centroid(pool.Seeds)
	}
	for i := range pool.IDs {
		if taken[i] {
			continue
		}
		c := candidate{i: i}
		switch strategy {
		case Similar:
			if pool.Vectors[i] == nil {
				continue
			}
			c.score = dot(pool.Vectors[i], mean)
		case Upper:
			if math.IsNaN(pool.Overall[i]) {
				continue
			}
			c.first, c.score = pool.Upper[i], pool.Overall[i]
		case Uncertain:
			if math.IsNaN(pool.Overall[i]) {
				continue
			}
			c.score = -nearest(pool.Overall[i], pool.Boundaries)
		case Drift:
			if math.IsNaN(pool.Drift[i]) || pool.Drift[i] <= 0 {
				continue
			}
			c.score = pool.Drift[i]
		}
		cs = append(cs, c)
	}
	slices.SortStableFunc(cs, func(a, b candidate) int {
		switch {
		case a.first != b.first:
			if a.first {
				return -1
			}
			return 1
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	out := make([]int, len(cs))
	for k, c := range cs {
		out[k] = c.i
	}
	return out
}

// nearest is the distance from x to the nearest boundary (+Inf for none).
func nearest(x float64, boundaries []float64) float64 {
	d := math.Inf(1)
	for _, b := range boundaries {
		d = min(d, math.Abs(x-b))
	}
	return d
}

// centroid is the unit mean of vectors.
func centroid(vs [][]float32) []float32 {
	m := make([]float32, len(vs[0]))
	for _, v := range vs {
		for i, x := range v {
			m[i] += x
		}
	}
	normalize(m)
	return m
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s > 0 {
		inv := float32(1 / math.Sqrt(s))
		for i := range v {
			v[i] *= inv
		}
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// drawRandom draws n of the untaken articles: random, in the pool's seeded
// order, within strata when the pool has them; diverse, the same within
// clusters of the embeddings. n is shared evenly across the strata
// (ShareEvenly), and each pick's inclusion probability is its stratum's
// share over its size.
func drawRandom(strategy string, n int, pool Pool, taken []bool, seed uint64) ([]Pick, error) {
	var left []int
	for i := range pool.IDs {
		if !taken[i] {
			left = append(left, i)
		}
	}
	if n <= 0 || len(left) == 0 {
		return nil, nil
	}
	strata := make([]string, len(left))
	switch {
	case strategy == Diverse:
		k := min(n, maxClusters, len(left))
		for j, c := range clusters(pool.Vectors, left, k, seed) {
			strata[j] = fmt.Sprint(c)
		}
	case pool.Strata != nil:
		for j, i := range left {
			strata[j] = pool.Strata[i]
		}
	}
	var names []string
	members := map[string][]int{}
	if strategy == Random {
		for _, s := range pool.StrataOrder {
			if slices.Contains(strata, s) {
				names = append(names, s)
				members[s] = nil
			}
		}
	}
	for j, s := range strata {
		if _, ok := members[s]; !ok {
			names = append(names, s)
		}
		members[s] = append(members[s], left[j])
	}
	sizes := make([]int, len(names))
	for i, s := range names {
		sizes[i] = len(members[s])
	}
	var picks []Pick
	for i, share := range ShareEvenly(sizes, n) {
		for _, idx := range members[names[i]][:share] {
			taken[idx] = true
			picks = append(picks, Pick{Index: idx, By: strategy, Inclusion: float64(share) / float64(sizes[i])})
		}
	}
	slices.SortFunc(picks, func(a, b Pick) int { return a.Index - b.Index })
	return picks, nil
}

// ShareEvenly shares n across strata of the given sizes: evenly, except
// that a stratum smaller than its share gives all it has and what it lacks
// is shared by the others; a remainder too small to share goes one each to
// the first strata with room. The shares sum to n, or to every stratum's
// size when n is more.
func ShareEvenly(sizes []int, n int) []int {
	shares := make([]int, len(sizes))
	var open []int // strata with room
	for i, s := range sizes {
		if s > 0 {
			open = append(open, i)
		}
	}
	for n > 0 && len(open) > 0 {
		each := n / len(open)
		if each == 0 {
			for _, i := range open[:n] {
				shares[i]++
			}
			break
		}
		var room []int
		for _, i := range open {
			give := min(each, sizes[i]-shares[i])
			shares[i] += give
			n -= give
			if shares[i] < sizes[i] {
				room = append(room, i)
			}
		}
		open = room
	}
	return shares
}
