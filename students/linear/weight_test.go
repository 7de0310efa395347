package linear

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

// withWeight is ex with every example's Weight set by w.
func withWeight(ex []Example, w func(Example) float64) []Example {
	out := make([]Example, len(ex))
	for i, e := range ex {
		out[i] = e
		out[i].Weight = w(e)
	}
	return out
}

// Unset weights, all 1 and all 3 (scaled to mean 1) fit exactly the model
// an unweighted fit does: same penalties, intercepts, weights, predictions.
func TestTrain_UniformWeightsFitTheUnweightedModel(t *testing.T) {
	train, val, test := synthetic(400, 1), synthetic(100, 2), synthetic(100, 3)
	dims := []string{"a", "b"}
	want, wantRep, err := Train(train, val, dims, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []float64{1, 3} {
		got, rep, err := Train(withWeight(train, func(Example) float64 { return w }), val, dims, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Lambda, want.Lambda) || !reflect.DeepEqual(got.Mean, want.Mean) || !reflect.DeepEqual(got.Weights, want.Weights) {
			t.Errorf("weights all %g: lambda %v mean %v, want %v %v (or the weights differ)", w, got.Lambda, got.Mean, want.Lambda, want.Mean)
		}
		if !reflect.DeepEqual(rep.ValMAE, wantRep.ValMAE) {
			t.Errorf("weights all %g: validation MAE %v, want %v", w, rep.ValMAE, wantRep.ValMAE)
		}
		for _, e := range test {
			if p, q := got.Predict(e.Text), want.Predict(e.Text); !reflect.DeepEqual(p, q) {
				t.Fatalf("weights all %g: predicted %v, unweighted %v", w, p, q)
			}
		}
	}
}

// Weighting the high-scoring examples up pulls the fit towards them: a
// lower error on held-out high scorers, a higher one on the low, and a
// higher intercept (the weighted mean).
func TestTrain_WeightsFavourTheExamplesWeightedUp(t *testing.T) {
	train, test := synthetic(400, 1), synthetic(300, 3)
	dims := []string{"a", "b"}
	cfg := DefaultConfig()
	cfg.Lambdas = []float64{64} // heavy shrinkage, no validation: the penalty is fixed, only the weights differ
	plain, _, err := Train(train, nil, dims, cfg)
	if err != nil {
		t.Fatal(err)
	}
	up := func(e Example) float64 { return 1 + 2*e.Labels[0]/10 } // score:2 on dimension a
	weighted, _, err := Train(withWeight(train, up), nil, dims, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var high, low []Example
	for _, e := range test {
		if e.Labels[0] >= 8 {
			high = append(high, e)
		} else if e.Labels[0] == 0 {
			low = append(low, e)
		}
	}
	if len(high) == 0 || len(low) == 0 {
		t.Fatalf("%d high, %d low test examples", len(high), len(low))
	}
	if got, was := mae(weighted, high)[0], mae(plain, high)[0]; got >= was {
		t.Errorf("MAE on high scorers: weighted %.3f, unweighted %.3f: want lower", got, was)
	}
	if got, was := mae(weighted, low)[0], mae(plain, low)[0]; got <= was {
		t.Errorf("MAE on low scorers: weighted %.3f, unweighted %.3f: want higher", got, was)
	}
	if weighted.Mean[0] <= plain.Mean[0] {
		t.Errorf("intercept: weighted %.3f, unweighted %.3f: want higher", weighted.Mean[0], plain.Mean[0])
	}
}

// The intercept is the weighted mean of the training labels.
func TestTrain_InterceptIsTheWeightedMean(t *testing.T) {
	train := synthetic(200, 4)
	train = withWeight(train, func(e Example) float64 { return 1 + e.Labels[1] })
	m, _, err := Train(train, nil, []string{"a", "b"}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for d := range 2 {
		var sw, swy float64
		for _, e := range train {
			sw += e.Weight
			swy += e.Weight * e.Labels[d]
		}
		if want := swy / sw; math.Abs(m.Mean[d]-want) > 1e-9 {
			t.Errorf("dimension %d: intercept %.6f, want the weighted mean %.6f", d, m.Mean[d], want)
		}
	}
}

func TestTrain_BadWeight(t *testing.T) {
	for _, w := range []float64{-1, math.NaN(), math.Inf(1)} {
		train := synthetic(20, 1)
		train[3].Weight = w
		_, _, err := Train(train, nil, []string{"a", "b"}, DefaultConfig())
		if !errors.Is(err, ErrWeight) {
			t.Errorf("weight %v: err = %v, want ErrWeight", w, err)
		}
	}
}

// The weighted fit solves the weighted ridge's normal equations,
// (XᵀWX + λI)β = XᵀW(y − ȳ) with W the weights scaled to mean 1: the
// gradient of Σ wᵢ(yᵢ − ȳ − xᵢ·β)² + λ‖β‖² at the model's β is near 0, and
// the unweighted gradient there is not.
func TestTrain_WeightedFitSolvesTheWeightedNormalEquations(t *testing.T) {
	train := withWeight(synthetic(300, 5), func(e Example) float64 { return 1 + 4*e.Labels[0]/10 })
	cfg := DefaultConfig()
	cfg.Lambdas, cfg.MaxIter = []float64{2}, 1000
	m, _, err := Train(train, nil, []string{"a", "b"}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, e := range train {
		sum += e.Weight
	}
	for d := range 2 {
		grad := func(weighted bool) (g, b []float64) {
			g, b = make([]float64, len(m.Buckets)), make([]float64, len(m.Buckets))
			var bg bag
			var r row
			for _, e := range train {
				w := 1.0
				if weighted {
					w = e.Weight * float64(len(train)) / sum
				}
				bg.fill(e.Text, cfg.Bits, cfg.NGrams)
				vectorize(&bg, m.index, m.IDF, &r)
				resid := e.Labels[d] - m.Mean[d]
				for j, c := range r.cols {
					resid -= float64(r.vals[j]) * float64(m.Weights[d][c])
				}
				for j, c := range r.cols {
					g[c] -= w * float64(r.vals[j]) * resid
					b[c] += w * float64(r.vals[j]) * (e.Labels[d] - m.Mean[d])
				}
			}
			for c := range g {
				g[c] += cfg.Lambdas[0] * float64(m.Weights[d][c])
			}
			return g, b
		}
		norm := func(v []float64) float64 {
			s := 0.0
			for _, x := range v {
				s += x * x
			}
			return math.Sqrt(s)
		}
		g, b := grad(true)
		if rel := norm(g) / norm(b); rel > 1e-2 {
			t.Errorf("dimension %d: weighted gradient %.3g of the right-hand side, want under 1e-2", d, rel)
		}
		g, b = grad(false)
		if rel := norm(g) / norm(b); rel < 5e-2 {
			t.Errorf("dimension %d: unweighted gradient %.3g of the right-hand side: the weights made no difference", d, rel)
		}
	}
}
