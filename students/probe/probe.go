// Package probe is the embed student: a frozen encoder (students/encode)
// turns a text into a dense unit vector, and one ridge regression per
// dimension maps the vector to a 0-10 score, the reference's "probe"
// baseline. Train fits it in closed form (the D×D normal equations, one
// Cholesky factorisation per penalty), choosing each dimension's penalty on
// validation; Model.Save and Open keep it as JSON beside a copy of a
// hashed encoder, so the model folder predicts on its own, or beside a
// reference to a sentence encoder's folder (its weights are not copied),
// which must still give the encoder the model was trained on.
package probe

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/distillery/distillery/students/weights"

	"gonum.org/v1/gonum/mat"

	"github.com/distillery/distillery/internal/human"
)

// Version is the model file's format; Open refuses others.
const Version = 1

// Config are the probe's hyperparameters.
type Config struct {
	// Lambdas is the ridge penalty grid (of Σ wᵢ eᵢ² + λ‖β‖²); each
	// dimension takes the one with the lowest validation MAE (the first,
	// without validation examples), and the grid widens past an edge
	// where a dimension's best sits.
	Lambdas []float64 `yaml:"lambdas" json:"lambdas"`
}

// DefaultConfig is the default grid, most regularised first (the choice
// without validation). The vectors are unit-norm, so XᵀX's trace is the
// row count and a useful penalty grows with it: with about 500 training
// rows (the ai-tech sample's keywords labels) and 630 (the demo's), every
// dimension chose 0.3 or 1, but one of the ai-tech sample's, which has
// nothing to learn from the vectors and widened past the top towards the
// mean.
func DefaultConfig() Config {
	return Config{Lambdas: []float64{10, 3, 1, 0.3, 0.1, 0.03}}
}

// Example is one article's vector with its scores, in the model's
// dimension order.
type Example struct {
	Vector []float32
	Labels []float64
	// Weight is a training example's share of the squared error, relative
	// to the others' (0: 1); a validation example's is ignored.
	Weight float64
}

// Model is a trained probe: score_d(x) = Intercept[d] + Weights[d]·x,
// clipped to 0-10.
type Model struct {
	Version int `json:"version"`
	// Encoder names the encoder the vectors came from (Encoder.Name).
	Encoder    string   `json:"encoder"`
	Dim        int      `json:"dim"`
	Dimensions []string `json:"dimensions"`
	// Lambda is the penalty chosen per dimension.
	Lambda []float64 `json:"lambda"`
	// Mean is the training labels' weighted mean per dimension: the
	// prediction at the training vectors' weighted mean.
	Mean      []float64   `json:"mean"`
	Intercept []float64   `json:"intercept"`
	Weights   [][]float64 `json:"weights"` // per dimension, Dim each
}

// Report describes a training run.
type Report struct {
	TrainRows, ValRows int
	// ValMAE is per dimension (nil without validation examples).
	ValMAE []float64
	// MeanBaselineMAE is predicting the training mean, on validation.
	MeanBaselineMAE []float64
	// Widened says, per dimension whose best penalty sat on an edge of the
	// grid, the penalties tried beyond it and the one chosen.
	Widened []string
	// Selected is the Selector's score of the chosen penalty (with a
	// Selector and validation examples only).
	Selected float64
	Seconds  float64
}

// MaxWiden is how many penalties beyond each edge of the grid are tried,
// each a factor of 4 past the last.
const MaxWiden = 4

// Selector scores one penalty's validation predictions (one row per
// validation example, one column per dimension, each clipped to 0-10);
// higher is better.
type Selector func(pred [][]float64) float64

// Train fits one ridge regression per dimension on the training vectors.
// Training examples with a Weight count that much in the squared error and
// in the means the fit is centred on; the weights are scaled to mean 1
// first, so a penalty means what it means unweighted. Each dimension takes
// the penalty with the lowest validation MAE, or, with sel, every
// dimension the one sel scores highest. Validation is never weighted.
func Train(train, val []Example, dims []string, cfg Config, sel Selector) (*Model, *Report, error) {
	start := time.Now()
	if len(train) == 0 {
		return nil, nil, ErrNoExamples
	}
	if len(cfg.Lambdas) == 0 {
		cfg = DefaultConfig()
	}
	for _, l := range cfg.Lambdas {
		if !(l > 0) || math.IsInf(l, 0) {
			return nil, nil, fmt.Errorf("penalty %v: want a finite number above 0", l)
		}
	}
	dim := len(train[0].Vector)
	if dim == 0 {
		return nil, nil, fmt.Errorf("%w: training example 0 has an empty vector", ErrShape)
	}
	for i, ex := range append(slices.Clone(train), val...) {
		if len(ex.Vector) != dim || len(ex.Labels) != len(dims) {
			return nil, nil, fmt.Errorf("%w: example %d has a vector of %d and %s, want %d and %d (%v)", ErrShape, i,
				len(ex.Vector), human.Plural(int64(len(ex.Labels)), "label"), dim, len(dims), dims)
		}
	}
	sw, err := sampleWeights(train)
	if err != nil {
		return nil, nil, err
	}
	m := &Model{Version: Version, Dim: dim, Dimensions: dims}
	s := newSystem(train, sw, dim, len(dims))
	m.Mean = s.ymean
	rep := &Report{TrainRows: len(train), ValRows: len(val)}
	g := &grid{base: cfg.Lambdas, lambdas: slices.Clone(cfg.Lambdas), widened: map[int][]float64{}}
	var best []float64
	if sel == nil || len(val) == 0 {
		best, err = m.fitByMAE(s, val, g)
	} else {
		best, err = m.fitShared(s, val, g, sel, rep)
	}
	if err != nil {
		return nil, nil, err
	}
	rep.Widened = g.notes(dims, m.Lambda, sel != nil && len(val) > 0)
	if len(val) > 0 {
		rep.ValMAE, rep.MeanBaselineMAE = best, make([]float64, len(dims))
		for d := range dims {
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

// system is the weighted, centred normal equations of the training rows:
// (A + λI) β = B, with A = Σ wᵢ (xᵢ − x̄)(xᵢ − x̄)ᵀ and B's column d
// Σ wᵢ (xᵢ − x̄)(yᵢd − ȳd), x̄ and ȳ the weighted means. Centring leaves the
// intercept out of the penalty: it is ȳ − x̄·β.
type system struct {
	a            *mat.SymDense
	b            *mat.Dense
	xmean, ymean []float64
}

func newSystem(train []Example, sw []float64, dim, k int) *system {
	n := float64(len(train))
	s := &system{xmean: make([]float64, dim), ymean: make([]float64, k)}
	w := func(i int) float64 {
		if sw == nil {
			return 1
		}
		return sw[i]
	}
	for i, ex := range train {
		for j, x := range ex.Vector {
			s.xmean[j] += w(i) * float64(x)
		}
		for d, y := range ex.Labels {
			s.ymean[d] += w(i) * y
		}
	}
	for j := range s.xmean {
		s.xmean[j] /= n // the weights' sum: they are scaled to mean 1
	}
	for d := range s.ymean {
		s.ymean[d] /= n
	}
	// Rows scaled by √wᵢ: XᵀX of the scaled rows is the weighted A.
	xc := mat.NewDense(len(train), dim, nil)
	yc := mat.NewDense(len(train), k, nil)
	for i, ex := range train {
		r := math.Sqrt(w(i))
		for j, x := range ex.Vector {
			xc.Set(i, j, r*(float64(x)-s.xmean[j]))
		}
		for d, y := range ex.Labels {
			yc.Set(i, d, r*(y-s.ymean[d]))
		}
	}
	s.a = mat.NewSymDense(dim, nil)
	s.a.SymOuterK(1, xc.T())
	s.b = mat.NewDense(dim, k, nil)
	s.b.Mul(xc.T(), yc)
	return s
}

// solve is β (dim × k) at penalty lambda.
func (s *system) solve(lambda float64) (*mat.Dense, error) {
	dim := s.a.SymmetricDim()
	p := mat.NewSymDense(dim, nil)
	p.CopySym(s.a)
	for j := range dim {
		p.SetSym(j, j, p.At(j, j)+lambda)
	}
	var chol mat.Cholesky
	if !chol.Factorize(p) {
		return nil, fmt.Errorf("ridge at penalty %g: the normal equations are not positive definite", lambda)
	}
	var beta mat.Dense
	// A large condition number still gives the solution; validation judges it.
	if err := chol.SolveTo(&beta, s.b); err != nil && !errors.As(err, new(mat.Condition)) {
		return nil, fmt.Errorf("ridge at penalty %g: %w", lambda, err)
	}
	return &beta, nil
}

// coefficients are dimension d's weights and intercept from β.
func (s *system) coefficients(beta *mat.Dense, d int) ([]float64, float64) {
	w := mat.Col(nil, d, beta)
	b0 := s.ymean[d]
	for j, x := range s.xmean {
		b0 -= x * w[j]
	}
	return w, b0
}

// valPredict is the validation predictions (clipped) of β.
func (s *system) valPredict(beta *mat.Dense, val []Example) [][]float64 {
	_, k := beta.Dims()
	ws, b0 := make([][]float64, k), make([]float64, k)
	for d := range k {
		ws[d], b0[d] = s.coefficients(beta, d)
	}
	out := make([][]float64, len(val))
	for i, ex := range val {
		out[i] = make([]float64, k)
		for d := range k {
			out[i][d] = score(b0[d], ws[d], ex.Vector)
		}
	}
	return out
}

func score(b0 float64, w []float64, v []float32) float64 {
	s := b0
	for j, x := range v {
		s += w[j] * float64(x)
	}
	return math.Max(0, math.Min(10, s))
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

// keep sets dimension d's coefficients from β at lambda.
func (m *Model) keep(s *system, beta *mat.Dense, d int, lambda float64) {
	m.Weights[d], m.Intercept[d] = s.coefficients(beta, d)
	m.Lambda[d] = lambda
}

func (m *Model) init() {
	k := len(m.Dimensions)
	m.Lambda, m.Intercept, m.Weights = make([]float64, k), make([]float64, k), make([][]float64, k)
}

// fitByMAE gives each dimension the penalty with the lowest validation MAE
// (the first, without validation examples), and returns those MAEs.
func (m *Model) fitByMAE(s *system, val []Example, g *grid) ([]float64, error) {
	k := len(m.Dimensions)
	m.init()
	best := make([]float64, k)
	for li := 0; li < len(g.lambdas); li++ {
		lambda := g.lambdas[li]
		beta, err := s.solve(lambda)
		if err != nil {
			return nil, err
		}
		maes := valMAE(s.valPredict(beta, val), val, k)
		for d := range k {
			if li == 0 || (len(val) > 0 && maes[d] < best[d]) {
				best[d] = maes[d]
				m.keep(s, beta, d, lambda)
			}
		}
		if len(val) == 0 {
			break
		}
		g.grow(li, m.Lambda)
	}
	return best, nil
}

// fitShared gives every dimension the penalty whose validation predictions
// sel scores highest (the first on a tie), and returns the validation MAEs
// at it.
func (m *Model) fitShared(s *system, val []Example, g *grid, sel Selector, rep *Report) ([]float64, error) {
	k := len(m.Dimensions)
	m.init()
	var best []float64
	for li := 0; li < len(g.lambdas); li++ {
		lambda := g.lambdas[li]
		beta, err := s.solve(lambda)
		if err != nil {
			return nil, err
		}
		pred := s.valPredict(beta, val)
		if score := sel(pred); li == 0 || score > rep.Selected {
			rep.Selected, best = score, valMAE(pred, val, k)
			for d := range k {
				m.keep(s, beta, d, lambda)
			}
		}
		g.grow(li, m.Lambda)
	}
	return best, nil
}

// Predict scores one vector on every dimension (0-10).
func (m *Model) Predict(v []float32) []float64 {
	out := make([]float64, len(m.Dimensions))
	for d := range out {
		out[d] = score(m.Intercept[d], m.Weights[d], v)
	}
	return out
}
