package linear

import (
	"cmp"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/distillery/distillery/students/weights"

	"github.com/distillery/distillery/internal/human"
)

// Version is the artifact format; Load refuses others.
const Version = 1

// Config are the hyperparameters (each a flag of `distill train`).
type Config struct {
	// Bits is the log2 of the number of hash buckets.
	Bits uint `yaml:"bits"`
	// NGrams is 1 (words) or 2 (words and word pairs).
	NGrams int `yaml:"ngrams"`
	// MinDF drops features seen in fewer training texts (most word pairs
	// occur once: they cost time and teach nothing).
	MinDF int `yaml:"min_df"`
	// Lambdas is the ridge penalty grid; each dimension takes the one with
	// the lowest validation MAE (the first, without validation examples).
	Lambdas []float64 `yaml:"lambdas"`
	// MaxIter bounds the conjugate-gradient iterations per penalty.
	MaxIter int `yaml:"max_iter"`
}

// DefaultConfig is the embedded default student.
func DefaultConfig() Config {
	return Config{Bits: 20, NGrams: 2, MinDF: 2, Lambdas: []float64{16, 4, 1, 0.25}, MaxIter: 100}
}

// Example is one text with its scores, in the model's dimension order.
type Example struct {
	Text   string
	Labels []float64
	// Weight is a training example's share of the squared error, relative
	// to the others' (0: 1; see TrainSelect); a validation example's is
	// ignored, so validation figures stay comparable across weightings.
	Weight float64
}

// Model is a trained student.
type Model struct {
	Version    int
	Dimensions []string
	Config     Config
	Lambda     []float64   // the penalty chosen per dimension
	Mean       []float64   // training mean per dimension (the intercept)
	Buckets    []uint32    // the hash bucket of each column
	IDF        []float32   // per column
	Weights    [][]float32 // per dimension, per column
	index      []int32     // hash bucket -> column, -1 for none
}

// Report describes a training run.
type Report struct {
	TrainRows, ValRows int
	Features           int
	Iterations         int
	ValMAE             []float64 // per dimension (nil without validation)
	MeanBaselineMAE    []float64 // predicting the training mean, on validation
	Seconds            float64
	// Widened says, per dimension whose best penalty sat on an edge of the
	// grid, the penalties tried beyond it and the one chosen.
	Widened []string
	// Selected is the Selector's score of the chosen penalty (TrainSelect
	// with validation examples only).
	Selected float64
}

// MaxWiden is how many penalties beyond the grid's edges are tried, each
// a factor of 4 past the last.
const MaxWiden = 4

// ErrNoExamples means there was nothing to train on.
var ErrNoExamples = errors.New("no training examples")

// ErrWeight is a training example's weight that is negative or not
// finite.
var ErrWeight = weights.ErrWeight

// Selector scores one penalty's validation predictions (one row per
// validation example, in the order given, one column per dimension, each
// clipped to 0-10); higher is better.
type Selector func(pred [][]float64) float64

// Train fits one ridge regression per dimension, each dimension taking the
// penalty with the lowest validation MAE. Training examples with a Weight
// count that much in the squared error, and in the intercept (the weighted
// mean); the weights are scaled to mean 1 first, so the penalty grid means
// what it means unweighted. Validation is never weighted.
func Train(train, val []Example, dims []string, cfg Config) (*Model, *Report, error) {
	return TrainSelect(train, val, dims, cfg, nil)
}

// TrainSelect is Train with the penalty chosen by sel (nil: Train's
// per-dimension MAE): every dimension shares the penalty whose predictions
// sel scores highest on validation, the first of the grid on a tie.
//
// One shared penalty rather than one per dimension: a ranking metric scores
// all dimensions at once (through the overall score), so per-dimension
// choices would be a search over every combination, or a coordinate ascent
// that keeps every dimension's weights at every penalty in memory; the
// solver already fits every dimension at one penalty together, so a shared
// penalty costs one metric per grid point and nothing more.
func TrainSelect(train, val []Example, dims []string, cfg Config, sel Selector) (*Model, *Report, error) {
	start := time.Now()
	if len(train) == 0 {
		return nil, nil, ErrNoExamples
	}
	for i, ex := range append(append([]Example(nil), train...), val...) {
		if len(ex.Labels) != len(dims) {
			return nil, nil, fmt.Errorf("example %d has %s, want %d (%v)", i, human.Plural(int64(len(ex.Labels)), "label"), len(dims), dims)
		}
	}
	if cfg.Bits == 0 {
		cfg = DefaultConfig()
	}
	if cfg.Bits < 8 || cfg.Bits > 24 || cfg.NGrams < 1 || cfg.NGrams > 2 || len(cfg.Lambdas) == 0 || cfg.MaxIter < 1 {
		return nil, nil, fmt.Errorf("bad config %+v: bits 8-24, ngrams 1-2, at least one lambda", cfg)
	}
	sw, err := sampleWeights(train)
	if err != nil {
		return nil, nil, err
	}
	m := &Model{Version: Version, Dimensions: dims, Config: cfg}
	X, V := m.features(train, val)
	k := len(dims)
	m.Mean = make([]float64, k)
	for i, ex := range train {
		for d, y := range ex.Labels {
			m.Mean[d] += weightOf(sw, i) * y
		}
	}
	for d := range m.Mean {
		m.Mean[d] /= float64(len(train)) // the weights' sum: they are scaled to mean 1
	}
	// Centered targets, one column per dimension.
	Y := make([][]float64, k)
	for d := range Y {
		Y[d] = make([]float64, len(train))
		for i, ex := range train {
			Y[d][i] = ex.Labels[d] - m.Mean[d]
		}
	}
	scaleRows(X, Y, sw)
	rep := &Report{TrainRows: len(train), ValRows: len(val), Features: len(m.Buckets)}
	g := &grid{base: cfg.Lambdas, lambdas: slices.Clone(cfg.Lambdas), widened: map[int][]float64{}}
	var best []float64
	if sel == nil || len(val) == 0 {
		best = m.fitByMAE(X, Y, V, val, g, rep)
	} else {
		best = m.fitShared(X, Y, V, val, g, sel, rep)
	}
	rep.Widened = g.notes(dims, m.Lambda, sel != nil && len(val) > 0)
	if len(val) > 0 {
		rep.ValMAE, rep.MeanBaselineMAE = best, make([]float64, k)
		for d := range k {
			for _, ex := range val {
				rep.MeanBaselineMAE[d] += math.Abs(m.Mean[d] - ex.Labels[d])
			}
			rep.MeanBaselineMAE[d] /= float64(len(val))
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	return m, rep, nil
}

// sampleWeights is the training examples' weights scaled to mean 1, or
// nil when every one is unset or 1 (weights.Scale).
func sampleWeights(train []Example) ([]float64, error) {
	ws := make([]float64, len(train))
	for i, ex := range train {
		ws[i] = ex.Weight
	}
	return weights.Scale(ws)
}

// weightOf is example i's weight in sw (nil: 1).
func weightOf(sw []float64, i int) float64 {
	if sw == nil {
		return 1
	}
	return sw[i]
}

// scaleRows multiplies training row i and its centered targets by the
// square root of its weight: ordinary least squares on the scaled rows is
// the weighted fit, min Σ wᵢ(yᵢ − ȳ − xᵢ·β)² + λ‖β‖², its normal equations
// (XᵀWX + λI)β = XᵀW(y − ȳ) with ȳ the weighted mean (the intercept), so
// the solver needs no change.
func scaleRows(X []row, Y [][]float64, sw []float64) {
	if sw == nil {
		return
	}
	for i, w := range sw {
		r := math.Sqrt(w)
		for j := range X[i].vals {
			X[i].vals[j] *= float32(r)
		}
		for d := range Y {
			Y[d][i] *= r
		}
	}
}

// features builds the vocabulary (buckets in at least MinDF training texts)
// and the training and validation rows.
func (m *Model) features(train, val []Example) (X, V []row) {
	cfg := m.Config
	bags := make([]bag, len(train))
	df := make([]int32, 1<<cfg.Bits)
	for i, ex := range train {
		bags[i].fill(ex.Text, cfg.Bits, cfg.NGrams)
		for _, bk := range bags[i].buckets {
			df[bk]++
		}
	}
	for bk, n := range df {
		if int(n) >= cfg.MinDF {
			m.Buckets = append(m.Buckets, uint32(bk))
		}
	}
	// Most frequent first: the columns most rows touch sit together, so the
	// solver's passes over X mostly hit the cache (measured 3x faster on
	// 5,000 real articles than columns in hash order).
	slices.SortStableFunc(m.Buckets, func(a, b uint32) int { return cmp.Compare(df[b], df[a]) })
	m.buildIndex()
	m.IDF = make([]float32, len(m.Buckets))
	for i, bk := range m.Buckets {
		m.IDF[i] = float32(math.Log(float64(1+len(train))/float64(1+df[bk])) + 1)
	}
	X = make([]row, len(train))
	for i := range train {
		vectorize(&bags[i], m.index, m.IDF, &X[i])
		sort.Sort(&X[i])
		bags[i] = bag{}
	}
	V = make([]row, len(val))
	var b bag
	for i, ex := range val {
		b.fill(ex.Text, cfg.Bits, cfg.NGrams)
		vectorize(&b, m.index, m.IDF, &V[i])
	}
	return X, V
}

// grid is the penalties tried: base, then those widening added.
type grid struct {
	base, lambdas []float64
	// widened holds, per dimension, the penalties added for it.
	widened map[int][]float64
}

// grow widens the grid past an edge where a chosen penalty sits (a best
// value on the edge says the right one lies beyond); li is the penalty
// just tried.
func (g *grid) grow(li int, chosen []float64) {
	if li == len(g.lambdas)-1 {
		g.lambdas = append(g.lambdas, widen(g.lambdas, g.base, chosen, g.widened)...)
	}
}

// notes are the report's lines on widening, one per dimension widened, or
// one for all when they share a penalty.
func (g *grid) notes(dims []string, chosen []float64, shared bool) []string {
	lo, hi := slices.Min(g.base), slices.Max(g.base)
	var out []string
	for d := range dims {
		if len(g.widened[d]) == 0 {
			continue
		}
		below := slices.ContainsFunc(g.widened[d], func(x float64) bool { return x < lo })
		above := slices.ContainsFunc(g.widened[d], func(x float64) bool { return x > hi })
		var tried []float64 // every penalty tried beyond the edges this dimension widened
		for _, x := range g.lambdas[len(g.base):] {
			if (below && x < lo) || (above && x > hi) {
				tried = append(tried, x)
			}
		}
		who := dims[d]
		if shared {
			who = "every dimension (one shared penalty)"
		}
		out = append(out, fmt.Sprintf("%s: the best penalty was on the edge of the grid %v; tried %v beyond it, chose %g",
			who, g.base, tried, chosen[d]))
		if shared {
			break
		}
	}
	return out
}

// fitByMAE gives each dimension the penalty with the lowest validation MAE
// (the first, without validation examples), and returns those MAEs.
func (m *Model) fitByMAE(X []row, Y [][]float64, V []row, val []Example, g *grid, rep *Report) []float64 {
	k, cols := len(m.Dimensions), len(m.Buckets)
	best := make([]float64, k)
	for d := range best {
		best[d] = math.Inf(1)
	}
	m.Lambda = make([]float64, k)
	m.Weights = make([][]float32, k)
	w := make([]float64, cols*k) // interleaved: w[c*k+d]; warm start across penalties
	for li := 0; li < len(g.lambdas); li++ {
		lambda := g.lambdas[li]
		rep.Iterations += solve(X, Y, w, k, lambda, m.Config.MaxIter)
		maes := valMAE(m.valPredict(V, w), val, k)
		for d := range k {
			if li == 0 || (len(val) > 0 && maes[d] < best[d]) {
				best[d], m.Lambda[d] = maes[d], lambda
				m.keepWeights(d, w)
			}
		}
		if len(val) == 0 {
			break
		}
		g.grow(li, m.Lambda)
	}
	return best
}

// fitShared gives every dimension the penalty whose validation predictions
// sel scores highest, and returns the validation MAEs at it.
func (m *Model) fitShared(X []row, Y [][]float64, V []row, val []Example, g *grid, sel Selector, rep *Report) []float64 {
	k, cols := len(m.Dimensions), len(m.Buckets)
	var best []float64
	m.Lambda = make([]float64, k)
	m.Weights = make([][]float32, k)
	w := make([]float64, cols*k)
	for li := 0; li < len(g.lambdas); li++ {
		lambda := g.lambdas[li]
		rep.Iterations += solve(X, Y, w, k, lambda, m.Config.MaxIter)
		pred := m.valPredict(V, w)
		if score := sel(pred); li == 0 || score > rep.Selected {
			rep.Selected, best = score, valMAE(pred, val, k)
			for d := range k {
				m.Lambda[d] = lambda
				m.keepWeights(d, w)
			}
		}
		g.grow(li, m.Lambda)
	}
	return best
}

// valPredict is the validation predictions (clipped) of the weights w
// (interleaved: w[c*k+d]).
func (m *Model) valPredict(V []row, w []float64) [][]float64 {
	k := len(m.Dimensions)
	out := make([][]float64, len(V))
	for i, r := range V {
		out[i] = make([]float64, k)
		for d := range k {
			s := m.Mean[d]
			for j, c := range r.cols {
				s += float64(r.vals[j]) * w[int(c)*k+d]
			}
			out[i][d] = clip(s)
		}
	}
	return out
}

// valMAE is each dimension's mean absolute error of pred on val (0s
// without validation examples).
func valMAE(pred [][]float64, val []Example, k int) []float64 {
	out := make([]float64, k)
	if len(val) == 0 {
		return out
	}
	for d := range k {
		for i, p := range pred {
			out[d] += math.Abs(p[d] - val[i].Labels[d])
		}
		out[d] /= float64(len(val))
	}
	return out
}

// keepWeights copies dimension d's weights out of the solver's w.
func (m *Model) keepWeights(d int, w []float64) {
	k, cols := len(m.Dimensions), len(m.Buckets)
	m.Weights[d] = make([]float32, cols)
	for c := range cols {
		m.Weights[d][c] = float32(w[c*k+d])
	}
}

// widen is the penalties to try next: a quarter of the smallest when a
// dimension's best is the smallest, four times the largest when it is the
// largest, at most MaxWiden beyond each edge of base; each dimension's
// list in widened gets what was added for it.
func widen(grid, base, chosen []float64, widened map[int][]float64) []float64 {
	lo, hi := slices.Min(grid), slices.Max(grid)
	below := countBelow(grid, base)
	above := len(grid) - len(base) - below
	var next []float64
	add := func(d int, x float64) {
		if !slices.Contains(next, x) {
			next = append(next, x)
		}
		widened[d] = append(widened[d], x)
	}
	for d, l := range chosen {
		switch {
		case l == lo && below < MaxWiden:
			add(d, lo/4)
		case l == hi && above < MaxWiden:
			add(d, hi*4)
		}
	}
	return next
}

// countBelow is how many penalties of grid are below every one of base.
func countBelow(grid, base []float64) int {
	n, lo := 0, slices.Min(base)
	for _, x := range grid {
		if x < lo {
			n++
		}
	}
	return n
}

func clip(x float64) float64 { return math.Max(0, math.Min(10, x)) }

// buildIndex maps every hash bucket to its column (-1: not a feature).
func (m *Model) buildIndex() {
	m.index = make([]int32, 1<<m.Config.Bits)
	for i := range m.index {
		m.index[i] = -1
	}
	for i, bk := range m.Buckets {
		m.index[bk] = int32(i)
	}
}

// solve runs conjugate gradients on (XᵀX + λI) w = Xᵀy for the k targets
// at once, from the given w (interleaved: w[c*k+d]): one pass over X per
// iteration serves every target, reading each column's k values together.
// It stops when every residual is under 1e-3 of its right-hand side, and
// returns the iterations run.
func solve(X []row, Y [][]float64, w []float64, k int, lambda float64, maxIter int) int {
	n := len(w)
	workers := min(runtime.GOMAXPROCS(0), 8)
	parts := make([][]float64, workers)
	for p := range parts {
		parts[p] = make([]float64, n)
	}
	// out = (XᵀX + λI) v
	apply := func(v, out []float64) {
		var wg sync.WaitGroup
		for p := range workers {
			wg.Add(1)
			go func(p int) {
				defer wg.Done()
				acc := parts[p]
				clear(acc)
				s := make([]float64, k)
				for i := p; i < len(X); i += workers {
					r := X[i]
					clear(s)
					for j, c := range r.cols {
						x, vc := float64(r.vals[j]), v[int(c)*k:int(c)*k+k]
						for d := range s {
							s[d] += x * vc[d]
						}
					}
					for j, c := range r.cols {
						x, ac := float64(r.vals[j]), acc[int(c)*k:int(c)*k+k]
						for d := range s {
							ac[d] += x * s[d]
						}
					}
				}
			}(p)
		}
		wg.Wait()
		for i := range out {
			o := lambda * v[i]
			for _, acc := range parts {
				o += acc[i]
			}
			out[i] = o
		}
	}
	b := make([]float64, n) // Xᵀy
	for i, r := range X {
		for j, c := range r.cols {
			x := float64(r.vals[j])
			for d := range k {
				b[int(c)*k+d] += x * Y[d][i]
			}
		}
	}
	res, p, ap := make([]float64, n), make([]float64, n), make([]float64, n)
	apply(w, ap)
	rs, bnorm := make([]float64, k), make([]float64, k)
	for i := range n {
		d := i % k
		res[i] = b[i] - ap[i]
		p[i] = res[i]
		rs[d] += res[i] * res[i]
		bnorm[d] += b[i] * b[i]
	}
	done := make([]bool, k)
	pap, next, alpha, beta := make([]float64, k), make([]float64, k), make([]float64, k), make([]float64, k)
	it := 0
	for ; it < maxIter; it++ {
		all := true
		for d := range k {
			if bnorm[d] == 0 || rs[d] <= 1e-6*bnorm[d] {
				done[d] = true
			}
			all = all && done[d]
		}
		if all {
			break
		}
		apply(p, ap)
		clear(pap)
		for i := range n {
			pap[i%k] += p[i] * ap[i]
		}
		for d := range k {
			alpha[d] = 0
			if !done[d] && pap[d] > 0 {
				alpha[d] = rs[d] / pap[d]
			}
		}
		clear(next)
		for i := range n {
			d := i % k
			w[i] += alpha[d] * p[i]
			res[i] -= alpha[d] * ap[i]
			next[d] += res[i] * res[i]
		}
		for d := range k {
			beta[d] = 0
			if rs[d] > 0 {
				beta[d] = next[d] / rs[d]
			}
			if alpha[d] == 0 {
				done[d] = true
			}
			rs[d] = next[d]
		}
		for i := range n {
			p[i] = res[i] + beta[i%k]*p[i]
		}
	}
	return it
}

// Predict scores a text on every dimension (0-10).
func (m *Model) Predict(text string) []float64 {
	return m.NewPredictor().Predict(text)
}

// Predictor scores texts, reusing its buffers; one per goroutine.
type Predictor struct {
	m   *Model
	bag bag
	row row
}

// NewPredictor returns a Predictor of the model.
func (m *Model) NewPredictor() *Predictor { return &Predictor{m: m} }

// Predict scores a text on every dimension (0-10).
func (p *Predictor) Predict(text string) []float64 {
	m := p.m
	p.bag.fill(text, m.Config.Bits, m.Config.NGrams)
	vectorize(&p.bag, m.index, m.IDF, &p.row)
	out := make([]float64, len(m.Dimensions))
	for d := range out {
		s := m.Mean[d]
		wd := m.Weights[d]
		for j, c := range p.row.cols {
			s += float64(p.row.vals[j]) * float64(wd[c])
		}
		out[d] = clip(s)
	}
	return out
}

// Save writes the model (gob).
func (m *Model) Save(path string) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(fh).Encode(m); err != nil {
		fh.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	return fh.Close()
}

// Load reads a model Save wrote.
func Load(path string) (*Model, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var m Model
	if err := gob.NewDecoder(fh).Decode(&m); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if m.Version != Version {
		return nil, fmt.Errorf("load %s: model format %d, this distill reads %d", path, m.Version, Version)
	}
	if len(m.Weights) != len(m.Dimensions) || len(m.Mean) != len(m.Dimensions) || len(m.IDF) != len(m.Buckets) {
		return nil, fmt.Errorf("load %s: inconsistent model", path)
	}
	if m.Config.Bits < 8 || m.Config.Bits > 24 {
		return nil, fmt.Errorf("load %s: bits %d", path, m.Config.Bits)
	}
	m.buildIndex()
	return &m, nil
}
