package selection

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"random":                             "random",
		"upper:0.5,random:0.5":               "upper:0.5,random:0.5",
		"random:0.5,upper:0.5":               "upper:0.5,random:0.5",
		" similar:0.25, diverse:0.75 ":       "similar:0.25,diverse:0.75",
		"upper:0.2,uncertain:0.3,random:0.5": "upper:0.2,uncertain:0.3,random:0.5",
	} {
		p, err := Parse(in)
		if err != nil || p.String() != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"", "best", "upper:0.5", "upper:0.5,random:0.6", "random:0.5,diverse:0.5", "upper:x,random:0.5",
		"upper:0,random:1", "upper:0.5,upper:0.5"} {
		if _, err := Parse(bad); !errors.Is(err, ErrPlan) {
			t.Errorf("Parse(%q): %v", bad, err)
		}
	}
	p, _ := Parse("upper:0.5,random:0.5")
	if !p.Unbiased() || !p.NeedsPredictions() || p.NeedsVectors() {
		t.Errorf("%s: unbiased %v, predictions %v, vectors %v", p, p.Unbiased(), p.NeedsPredictions(), p.NeedsVectors())
	}
	if q, _ := Parse("similar"); q.Unbiased() || !q.NeedsVectors() {
		t.Errorf("similar alone is not unbiased and reads vectors")
	}
	if n := p.counts(2); n[0] != 1 || n[1] != 1 {
		t.Errorf("budget 2 over upper:0.5,random:0.5: %v", n)
	}
	if q, _ := Parse("upper:0.9,random:0.1"); q.counts(3)[1] != 1 {
		t.Errorf("budget 3 over upper:0.9,random:0.1 gives random %d", q.counts(3)[1])
	}
	for budget := range 30 {
		q, _ := Parse("upper:0.2,uncertain:0.3,random:0.5")
		n := q.counts(budget)
		if n[0]+n[1]+n[2] != budget {
			t.Errorf("budget %d shared as %v", budget, n)
		}
	}
}

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint("a", i)
	}
	return out
}

// TestChoose_RandomIsTheSample: random takes the first n of the pool's
// seeded order (what label --sample takes), each with probability n/N.
func TestChoose_RandomIsTheSample(t *testing.T) {
	p, _ := Parse("random")
	out, err := Choose(p, 7, Pool{IDs: ids(50)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, pk := range out.Picks {
		if pk.Index != i || pk.By != Random || pk.Inclusion != 7.0/50 {
			t.Fatalf("pick %d: %+v", i, pk)
		}
	}
	strata := make([]string, 50)
	for i := range strata {
		strata[i] = "low"
		if i%10 == 9 {
			strata[i] = "high" // 5 of 50
		}
	}
	out, _ = Choose(p, 6, Pool{IDs: ids(50), Strata: strata}, 1)
	var high, low int
	for _, pk := range out.Picks {
		if strata[pk.Index] == "high" {
			high++
			if pk.Inclusion != 3.0/5 {
				t.Errorf("high pick %+v", pk)
			}
		} else {
			low++
			if pk.Inclusion != 3.0/45 {
				t.Errorf("low pick %+v", pk)
			}
		}
	}
	if high != 3 || low != 3 {
		t.Errorf("stratified: %d high, %d low", high, low)
	}
}

// TestChoose_UpperCarriesItsShortfall: upper takes the articles predicted
// in an upper tier, then the highest predicted of the rest; what it cannot
// fill (articles with no prediction) goes to the random part, which draws
// from the rest with probability n/left.
func TestChoose_UpperCarriesItsShortfall(t *testing.T) {
	n := 100
	pool := Pool{IDs: ids(n), Overall: make([]float64, n), Upper: make([]bool, n)}
	for i := range n {
		pool.Overall[i] = math.NaN()
	}
	for _, i := range []int{9, 19, 29, 39} { // predicted upper
		pool.Overall[i], pool.Upper[i] = 6.5, true
	}
	pool.Overall[50], pool.Overall[60], pool.Overall[70] = 3.5, 7.5, 1.5 // predicted, not upper
	p, _ := Parse("upper:0.5,random:0.5")
	out, err := Choose(p, 20, pool, 1)
	if err != nil {
		t.Fatal(err)
	}
	var up []int
	rnd := 0
	for _, pk := range out.Picks {
		switch pk.By {
		case Upper:
			up = append(up, pk.Index)
			if pk.Inclusion != 1 {
				t.Errorf("upper pick %+v", pk)
			}
		case Random:
			rnd++
			if !math.IsNaN(pool.Overall[pk.Index]) || pk.Inclusion != 13.0/93 {
				t.Errorf("random pick %+v", pk)
			}
		}
	}
	if want := []int{9, 19, 29, 39, 60, 50, 70}; !slices.Equal(up, want) || rnd != 13 || out.Short[Upper] != 3 {
		t.Errorf("upper %v (want %v), %d random, short %v", up, want, rnd, out.Short)
	}
	for i := range n {
		if math.IsNaN(pool.Overall[i]) {
			pool.Overall[i] = float64(i%10) + 0.5
		}
	}
	// uncertain: nearest a boundary first.
	pool.Boundaries = []float64{4, 7}
	u, _ := Parse("uncertain")
	out, _ = Choose(u, 3, pool, 1)
	for _, pk := range out.Picks {
		if d := nearest(pool.Overall[pk.Index], pool.Boundaries); d != 0.5 {
			t.Errorf("uncertain picked %s at %.1f from a boundary", pool.IDs[pk.Index], d)
		}
	}
}

// groups makes unit vectors around g well-separated directions, sizes[i]
// around the i-th, in a shuffled order; it returns them and their group.
func groups(sizes []int, dim int, seed uint64) ([][]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var vs [][]float32
	var gs []int
	for g, n := range sizes {
		for range n {
			v := make([]float32, dim)
			v[g] = 1
			for d := range v {
				v[d] += float32(rng.NormFloat64() * 0.05)
			}
			normalize(v)
			vs, gs = append(vs, v), append(gs, g)
		}
	}
	perm := rng.Perm(len(vs))
	outV, outG := make([][]float32, len(vs)), make([]int, len(vs))
	for i, p := range perm {
		outV[i], outG[i] = vs[p], gs[p]
	}
	return outV, outG
}

// TestChoose_DiverseCoversEveryCluster: with a budget of 8 over groups of
// 500, 100, 30 and 10 articles, diverse labels each group (a random draw
// of 8 misses the 10 with probability 0.88), and its weights count the
// pool exactly.
func TestChoose_DiverseCoversEveryCluster(t *testing.T) {
	vs, gs := groups([]int{500, 100, 30, 10}, 16, 3)
	pool := Pool{IDs: ids(len(vs)), Vectors: vs}
	p, _ := Parse("diverse")
	for seed := range uint64(5) {
		out, err := Choose(p, 8, pool, seed)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		var weight float64
		for _, pk := range out.Picks {
			seen[gs[pk.Index]] = true
			weight += 1 / pk.Inclusion
		}
		if len(seen) != 4 || len(out.Picks) != 8 {
			t.Errorf("seed %d: groups %v in %d picks", seed, seen, len(out.Picks))
		}
		if math.Abs(weight-float64(len(vs))) > 1e-6 {
			t.Errorf("seed %d: weights sum to %g, want %d", seed, weight, len(vs))
		}
	}
}

// TestChoose_SimilarFindsTheSeedsGroup: similar ranks the articles nearest
// the seeds' mean first.
func TestChoose_SimilarFindsTheSeedsGroup(t *testing.T) {
	vs, gs := groups([]int{300, 20, 300}, 8, 4)
	var seeds [][]float32
	for i, g := range gs {
		if g == 1 && len(seeds) < 3 {
			seeds = append(seeds, vs[i])
		}
	}
	p, _ := Parse("similar")
	out, err := Choose(p, 20, Pool{IDs: ids(len(vs)), Vectors: vs, Seeds: seeds}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, pk := range out.Picks {
		if gs[pk.Index] != 1 || pk.Inclusion != 1 {
			t.Errorf("similar picked %+v of group %d", pk, gs[pk.Index])
		}
	}
	if _, err := Choose(p, 5, Pool{IDs: ids(len(vs)), Vectors: vs}, 1); !errors.Is(err, ErrInputs) {
		t.Errorf("no seeds: %v", err)
	}
	if _, err := Choose(p, 5, Pool{IDs: ids(3)}, 1); !errors.Is(err, ErrInputs) {
		t.Errorf("no vectors: %v", err)
	}
}

// TestChoose_WeightsUndoTheBias: a pool where the value to estimate is far
// higher on the articles predicted upper. upper:0.5,random:0.5 labels
// mostly those, so the plain mean of the labeled is far off; weighted by
// 1/inclusion (Horvitz-Thompson) it is unbiased: over 400 seeded orders
// its mean is within 2% of the truth.
func TestChoose_WeightsUndoTheBias(t *testing.T) {
	n := 2000
	rng := rand.New(rand.NewPCG(9, 9))
	y := make([]float64, n)
	pool := Pool{IDs: ids(n), Overall: make([]float64, n), Upper: make([]bool, n)}
	var truth float64
	for i := range n {
		pool.Upper[i] = rng.Float64() < 0.05
		y[i] = rng.Float64() * 2
		if pool.Upper[i] {
			y[i] += 6
		}
		pool.Overall[i] = y[i] + rng.NormFloat64()
		truth += y[i]
	}
	truth /= float64(n)
	p, _ := Parse("upper:0.5,random:0.5")
	var plain, weighted float64
	const rounds = 400
	for r := range rounds {
		perm := rand.New(rand.NewPCG(uint64(r), 2)).Perm(n)
		shuffled := Pool{IDs: make([]string, n), Overall: make([]float64, n), Upper: make([]bool, n)}
		for i, j := range perm {
			shuffled.IDs[i], shuffled.Overall[i], shuffled.Upper[i] = pool.IDs[j], pool.Overall[j], pool.Upper[j]
		}
		out, err := Choose(p, 100, shuffled, uint64(r))
		if err != nil {
			t.Fatal(err)
		}
		var sum, wsum, w float64
		for _, pk := range out.Picks {
			v := y[perm[pk.Index]]
			sum += v
			wsum += v / pk.Inclusion
			w += 1 / pk.Inclusion
		}
		plain += sum / float64(len(out.Picks))
		weighted += wsum / w
	}
	plain, weighted = plain/rounds, weighted/rounds
	if math.Abs(weighted-truth)/truth > 0.02 {
		t.Errorf("weighted estimate %.3f, truth %.3f", weighted, truth)
	}
	if math.Abs(plain-truth)/truth < 0.5 {
		t.Errorf("the plain mean %.3f should be far from the truth %.3f: the test has no bias to undo", plain, truth)
	}
}

// drift takes the articles the latest drift run scores highest, only those
// scored above 0 (the others sit where nothing moved), inclusion 1; the
// random part takes what it could not fill.
func TestChoose_Drift(t *testing.T) {
	n := 10
	pool := Pool{IDs: ids(n), Drift: make([]float64, n)}
	pool.Drift[3], pool.Drift[7], pool.Drift[1] = 2.5, 0.7, math.NaN()
	pool.Drift[5] = 2.5 // a tie keeps the pool's order
	p, err := Parse("drift:0.5,random:0.5")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Choose(p, 6, pool, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, pk := range out.Picks {
		if pk.By == Drift {
			got = append(got, pk.Index)
			if pk.Inclusion != 1 {
				t.Errorf("drift pick %d: inclusion %g", pk.Index, pk.Inclusion)
			}
		}
	}
	if !slices.Equal(got, []int{3, 5, 7}) || out.Short[Drift] != 0 || len(out.Picks) != 6 {
		t.Errorf("drift picks %v, short %v, %d picks", got, out.Short, len(out.Picks))
	}
	if _, err := Choose(p, 6, Pool{IDs: ids(n)}, 1); !errors.Is(err, ErrInputs) {
		t.Errorf("no drift scores: %v", err)
	}
}
