package linear

import (
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Version is the artifact format; Load refuses others.
const Version = 1

// Config are the hyperparameters (each a flag of `distill train`).
type Config struct {
	// Bits is the log2 of the number of hash buckets.
	Bits uint
	// NGrams is 1 (words) or 2 (words and word pairs).
	NGrams int
	// MinDF drops features seen in fewer training texts (most word pairs
	// occur once: they cost time and teach nothing).
	MinDF int
	// Lambdas is the ridge penalty grid; each dimension takes the one with
	// the lowest validation MAE (the first, without validation examples).
	Lambdas []float64
	// MaxIter bounds the conjugate-gradient iterations per penalty.
	MaxIter int
}

// DefaultConfig is the embedded default student.
func DefaultConfig() Config {
	return Config{Bits: 20, NGrams: 2, MinDF: 2, Lambdas: []float64{16, 4, 1, 0.25}, MaxIter: 200}
}

// Example is one text with its scores, in the model's dimension order.
type Example struct {
	Text   string
	Labels []float64
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
	index      map[uint32]int32
}

// Report describes a training run.
type Report struct {
	TrainRows, ValRows int
	Features           int
	Iterations         int
	ValMAE             []float64 // per dimension (nil without validation)
	MeanBaselineMAE    []float64 // predicting the training mean, on validation
	Seconds            float64
}

// ErrNoExamples means there was nothing to train on.
var ErrNoExamples = errors.New("no training examples")

// Train fits one ridge regression per dimension.
func Train(train, val []Example, dims []string, cfg Config) (*Model, *Report, error) {
	start := time.Now()
	if len(train) == 0 {
		return nil, nil, ErrNoExamples
	}
	for i, ex := range append(append([]Example(nil), train...), val...) {
		if len(ex.Labels) != len(dims) {
			return nil, nil, fmt.Errorf("example %d has %d labels, want %d (%v)", i, len(ex.Labels), len(dims), dims)
		}
	}
	if cfg.Bits == 0 {
		cfg = DefaultConfig()
	}
	if cfg.Bits < 8 || cfg.Bits > 26 || cfg.NGrams < 1 || cfg.NGrams > 2 || len(cfg.Lambdas) == 0 || cfg.MaxIter < 1 {
		return nil, nil, fmt.Errorf("bad config %+v: bits 8-26, ngrams 1-2, at least one lambda", cfg)
	}
	m := &Model{Version: Version, Dimensions: dims, Config: cfg}

	// Vocabulary: buckets in at least MinDF training texts.
	counts := make([]map[uint32]float32, len(train))
	df := map[uint32]int{}
	var buf []uint64
	for i, ex := range train {
		counts[i] = map[uint32]float32{}
		buf = grams(ex.Text, cfg.Bits, cfg.NGrams, buf, counts[i])
		for b := range counts[i] {
			df[b]++
		}
	}
	for b, n := range df {
		if n >= cfg.MinDF {
			m.Buckets = append(m.Buckets, b)
		}
	}
	slices.Sort(m.Buckets)
	m.index = make(map[uint32]int32, len(m.Buckets))
	m.IDF = make([]float32, len(m.Buckets))
	for i, b := range m.Buckets {
		m.index[b] = int32(i)
		m.IDF[i] = float32(math.Log(float64(1+len(train))/float64(1+df[b])) + 1)
	}
	X := make([]row, len(train))
	for i := range train {
		X[i] = vectorize(counts[i], m.index, m.IDF)
	}
	counts = nil
	V := make([]row, len(val))
	tmp := map[uint32]float32{}
	for i, ex := range val {
		buf = grams(ex.Text, cfg.Bits, cfg.NGrams, buf, tmp)
		V[i] = vectorize(tmp, m.index, m.IDF)
	}

	k := len(dims)
	m.Mean = make([]float64, k)
	for _, ex := range train {
		for d, y := range ex.Labels {
			m.Mean[d] += y
		}
	}
	for d := range m.Mean {
		m.Mean[d] /= float64(len(train))
	}
	// Centered targets, one column per dimension.
	Y := make([][]float64, k)
	for d := range Y {
		Y[d] = make([]float64, len(train))
		for i, ex := range train {
			Y[d][i] = ex.Labels[d] - m.Mean[d]
		}
	}
	rep := &Report{TrainRows: len(train), ValRows: len(val), Features: len(m.Buckets)}
	cols := len(m.Buckets)
	best := make([]float64, k)
	for d := range best {
		best[d] = math.Inf(1)
	}
	m.Lambda = make([]float64, k)
	m.Weights = make([][]float32, k)
	w := make([][]float64, k) // warm start across penalties
	for d := range w {
		w[d] = make([]float64, cols)
	}
	for li, lambda := range cfg.Lambdas {
		iters := solve(X, Y, w, lambda, cfg.MaxIter)
		rep.Iterations += iters
		for d := range k {
			mae := 0.0
			if len(val) > 0 {
				for i, r := range V {
					mae += math.Abs(clip(dot(r, w[d])+m.Mean[d]) - val[i].Labels[d])
				}
				mae /= float64(len(val))
			}
			if li == 0 || (len(val) > 0 && mae < best[d]) {
				best[d], m.Lambda[d] = mae, lambda
				m.Weights[d] = toFloat32(w[d])
			}
		}
		if len(val) == 0 {
			break
		}
	}
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

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func dot(r row, w []float64) float64 {
	s := 0.0
	for j, c := range r.cols {
		s += float64(r.vals[j]) * w[c]
	}
	return s
}

func clip(x float64) float64 { return math.Max(0, math.Min(10, x)) }

// solve runs conjugate gradients on (XᵀX + λI) w = Xᵀy for every target at
// once (one pass over X per iteration serves them all), from the given w.
// It returns the iterations run.
func solve(X []row, Y [][]float64, w [][]float64, lambda float64, maxIter int) int {
	k, cols := len(Y), len(w[0])
	workers := min(runtime.GOMAXPROCS(0), 8)
	// A v for all targets: (XᵀX + λI) v. Each worker accumulates XᵀXv
	// over its rows in its own buffers (allocated once).
	parts := make([][][]float64, workers)
	for p := range parts {
		parts[p] = make([][]float64, k)
		for d := range k {
			parts[p][d] = make([]float64, cols)
		}
	}
	apply := func(v, out [][]float64) {
		var wg sync.WaitGroup
		for p := range workers {
			wg.Add(1)
			go func(p int) {
				defer wg.Done()
				acc := parts[p]
				for d := range k {
					clear(acc[d])
				}
				for i := p; i < len(X); i += workers {
					r := X[i]
					for d := range k {
						s := 0.0
						vd := v[d]
						for j, c := range r.cols {
							s += float64(r.vals[j]) * vd[c]
						}
						ad := acc[d]
						for j, c := range r.cols {
							ad[c] += float64(r.vals[j]) * s
						}
					}
				}
			}(p)
		}
		wg.Wait()
		for d := range k {
			o := out[d]
			for c := range cols {
				o[c] = lambda * v[d][c]
			}
			for _, acc := range parts {
				for c, x := range acc[d] {
					o[c] += x
				}
			}
		}
	}
	alloc := func() [][]float64 {
		m := make([][]float64, k)
		for d := range m {
			m[d] = make([]float64, cols)
		}
		return m
	}
	// b = Xᵀy
	b := alloc()
	for i, r := range X {
		for d := range k {
			y := Y[d][i]
			for j, c := range r.cols {
				b[d][c] += float64(r.vals[j]) * y
			}
		}
	}
	r, p, ap := alloc(), alloc(), alloc()
	apply(w, ap)
	rs := make([]float64, k)
	bnorm := make([]float64, k)
	for d := range k {
		for c := range cols {
			r[d][c] = b[d][c] - ap[d][c]
			p[d][c] = r[d][c]
			rs[d] += r[d][c] * r[d][c]
			bnorm[d] += b[d][c] * b[d][c]
		}
	}
	done := make([]bool, k)
	it := 0
	for ; it < maxIter; it++ {
		all := true
		for d := range k {
			if rs[d] <= 1e-10*bnorm[d] || bnorm[d] == 0 {
				done[d] = true
			}
			all = all && done[d]
		}
		if all {
			break
		}
		apply(p, ap)
		for d := range k {
			if done[d] {
				continue
			}
			pap := 0.0
			for c := range cols {
				pap += p[d][c] * ap[d][c]
			}
			if pap == 0 {
				done[d] = true
				continue
			}
			alpha := rs[d] / pap
			next := 0.0
			for c := range cols {
				w[d][c] += alpha * p[d][c]
				r[d][c] -= alpha * ap[d][c]
				next += r[d][c] * r[d][c]
			}
			beta := next / rs[d]
			rs[d] = next
			for c := range cols {
				p[d][c] = r[d][c] + beta*p[d][c]
			}
		}
	}
	return it
}

// Predict scores a text on every dimension (0-10).
func (m *Model) Predict(text string) []float64 {
	return m.predict(text, nil, map[uint32]float32{})
}

func (m *Model) predict(text string, buf []uint64, tmp map[uint32]float32) []float64 {
	grams(text, m.Config.Bits, m.Config.NGrams, buf, tmp)
	r := vectorize(tmp, m.index, m.IDF)
	out := make([]float64, len(m.Dimensions))
	for d := range out {
		s := m.Mean[d]
		wd := m.Weights[d]
		for j, c := range r.cols {
			s += float64(r.vals[j]) * float64(wd[c])
		}
		out[d] = clip(s)
	}
	return out
}

// Predictor scores texts, reusing its buffers; one per goroutine.
type Predictor struct {
	m   *Model
	buf []uint64
	tmp map[uint32]float32
}

// NewPredictor returns a Predictor of the model.
func (m *Model) NewPredictor() *Predictor {
	return &Predictor{m: m, tmp: map[uint32]float32{}}
}

// Predict scores a text on every dimension (0-10).
func (p *Predictor) Predict(text string) []float64 {
	return p.m.predict(text, p.buf, p.tmp)
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
	m.index = make(map[uint32]int32, len(m.Buckets))
	for i, b := range m.Buckets {
		m.index[b] = int32(i)
	}
	return &m, nil
}
