package probe_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/distillery/distillery/students/encode"
	"github.com/distillery/distillery/students/probe"
)

func ex(v []float32, y ...float64) probe.Example { return probe.Example{Vector: v, Labels: y} }

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// One feature, three rows: centred x = (-1, 0, 1), centred y = (-2, 0, 2),
// so β = Σxy / (Σx² + λ) = 4 / (2 + λ): 1 at λ = 2, and the intercept
// ȳ − x̄β = 3 − 2 = 1.
func TestTrain_ClosedForm(t *testing.T) {
	train := []probe.Example{ex([]float32{1}, 1), ex([]float32{2}, 3), ex([]float32{3}, 5)}
	m, rep, err := probe.Train(train, nil, []string{"a"}, probe.Config{Lambdas: []float64{2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !near(m.Weights[0][0], 1) || !near(m.Intercept[0], 1) || !near(m.Mean[0], 3) || m.Lambda[0] != 2 {
		t.Fatalf("model = %+v, want β 1, intercept 1, mean 3, λ 2", m)
	}
	if got := m.Predict([]float32{4}); !near(got[0], 5) {
		t.Errorf("Predict(4) = %v, want 5", got)
	}
	// Clipped to 0-10.
	if got := m.Predict([]float32{40}); got[0] != 10 {
		t.Errorf("Predict(40) = %v, want 10", got)
	}
	if rep.TrainRows != 3 || rep.ValMAE != nil {
		t.Errorf("report = %+v", rep)
	}
}

// Two features, two targets: the solution of (XcᵀXc + λI)β = Xcᵀyc
// computed by hand. Rows x = (1,0), (0,1), (1,1), (0,0): x̄ = (½,½),
// XcᵀXc = [[1,0],[0,1]]; y₁ = x₁ + 2x₂ gives Xcᵀyc = (1, 2), so at λ = 1
// β = (½, 1) and the intercept ȳ − x̄·β = 1.5 − 0.75 = 0.75.
func TestTrain_ClosedFormTwoFeatures(t *testing.T) {
	rows := [][]float32{{1, 0}, {0, 1}, {1, 1}, {0, 0}}
	var train []probe.Example
	for _, r := range rows {
		y := float64(r[0]) + 2*float64(r[1])
		train = append(train, ex(r, y, 10-y))
	}
	m, _, err := probe.Train(train, nil, []string{"a", "b"}, probe.Config{Lambdas: []float64{1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float64{{0.5, 1}, {-0.5, -1}}
	for d := range want {
		for j := range want[d] {
			if !near(m.Weights[d][j], want[d][j]) {
				t.Errorf("weights[%d] = %v, want %v", d, m.Weights[d], want[d])
			}
		}
	}
	if !near(m.Intercept[0], 0.75) || !near(m.Intercept[1], 10-0.75) {
		t.Errorf("intercepts = %v, want 0.75 and 9.25", m.Intercept)
	}
}

// synthetic is n rows of dim unit vectors; dimension 0 is a linear
// function of the vector plus noise, dimension 1 noise alone.
func synthetic(n, dim int, seed uint64) []probe.Example {
	rng := rand.New(rand.NewPCG(seed, 1))
	w := make([]float64, dim)
	for j := range w {
		w[j] = rng.NormFloat64()
	}
	out := make([]probe.Example, n)
	for i := range out {
		v := make([]float32, dim)
		var norm float64
		for j := range v {
			v[j] = float32(rng.NormFloat64())
			norm += float64(v[j]) * float64(v[j])
		}
		y := 5.0
		for j := range v {
			v[j] /= float32(math.Sqrt(norm))
			y += 3 * w[j] * float64(v[j])
		}
		out[i] = ex(v, math.Max(0, math.Min(10, y+1.5*rng.NormFloat64())), math.Max(0, math.Min(10, 5+2*rng.NormFloat64())))
	}
	return out
}

// Weights of 1, and weights all equal, fit the unweighted model; unequal
// weights change it, and a weight of 2 on a row fits as that row twice
// would at the penalty scaled as the weights are (to mean 1).
func TestTrain_Weights(t *testing.T) {
	data := synthetic(60, 8, 1)
	dims := []string{"signal", "noise"}
	cfg := probe.Config{Lambdas: []float64{0.5}}
	plain, _, err := probe.Train(data, nil, dims, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []float64{1, 3} {
		weighted := slices.Clone(data)
		for i := range weighted {
			weighted[i].Weight = w
		}
		m, _, err := probe.Train(weighted, nil, dims, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for d := range dims {
			for j := range m.Weights[d] {
				if math.Abs(m.Weights[d][j]-plain.Weights[d][j]) > 1e-9 {
					t.Fatalf("all weights %g: weights[%d] = %v, unweighted %v", w, d, m.Weights[d], plain.Weights[d])
				}
			}
		}
	}
	// Row 0 weighted 2 among 60: the weights scale to mean 60/61, so the
	// fit is that of row 0 twice (61 rows) at penalty λ·61/60.
	weighted := slices.Clone(data)
	weighted[0].Weight = 2
	m, _, err := probe.Train(weighted, nil, dims, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	twice, _, err := probe.Train(append(slices.Clone(data), data[0]), nil, dims, probe.Config{Lambdas: []float64{0.5 * 61 / 60}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for j := range m.Weights[0] {
		if math.Abs(m.Weights[0][j]-twice.Weights[0][j]) > 1e-9 || m.Weights[0][j] == plain.Weights[0][j] {
			t.Fatalf("weight 2: %v; row twice: %v; unweighted: %v", m.Weights[0], twice.Weights[0], plain.Weights[0])
		}
	}
	if !near(m.Intercept[0], twice.Intercept[0]) {
		t.Errorf("intercept %v, row twice %v", m.Intercept[0], twice.Intercept[0])
	}
	bad := slices.Clone(data)
	bad[3].Weight = -1
	if _, _, err := probe.Train(bad, nil, dims, cfg, nil); !errors.Is(err, probe.ErrWeight) {
		t.Errorf("negative weight: %v", err)
	}
}

// valMAEAt is the validation MAE per dimension of the model fitted at one
// penalty (fitted without validation: no grid to widen).
func valMAEAt(t *testing.T, train, val []probe.Example, dims []string, lambda float64) []float64 {
	t.Helper()
	m, _, err := probe.Train(train, nil, dims, probe.Config{Lambdas: []float64{lambda}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(dims))
	for _, e := range val {
		p := m.Predict(e.Vector)
		for d := range dims {
			out[d] += math.Abs(p[d]-e.Labels[d]) / float64(len(val))
		}
	}
	return out
}

// Each dimension takes the penalty with the lowest validation MAE: the
// signal a small one, the noise (best predicted by the mean) a large one
// past the grid's top edge, which widening finds.
func TestTrain_ChoosesThePenaltyOnValidation(t *testing.T) {
	// 100 training rows of 64 floats: too few for no penalty at all.
	data := synthetic(200, 64, 2)
	train, val := data[:100], data[100:]
	dims := []string{"signal", "noise"}
	grid := []float64{100, 30, 10, 3, 1, 0.3, 0.1, 0.03, 0.01}
	m, rep, err := probe.Train(train, val, dims, probe.Config{Lambdas: grid}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for d := range dims {
		at := valMAEAt(t, train, val, dims, m.Lambda[d])[d]
		if !near(at, rep.ValMAE[d]) {
			t.Errorf("%s: reported MAE %.6f, the model at its penalty %g has %.6f", dims[d], rep.ValMAE[d], m.Lambda[d], at)
		}
		for _, l := range grid {
			if mae := valMAEAt(t, train, val, dims, l)[d]; mae < rep.ValMAE[d]-1e-12 {
				t.Errorf("%s: chose %g (MAE %.6f), but %g has %.6f", dims[d], m.Lambda[d], rep.ValMAE[d], l, mae)
			}
		}
	}
	if m.Lambda[0] > 100 || m.Lambda[0] < 0.01 {
		t.Errorf("signal: penalty %g outside the grid; the test wants its best inside", m.Lambda[0])
	}
	if m.Lambda[1] <= 100 || len(rep.Widened) != 1 {
		t.Errorf("noise: penalty %g, widened %q: want past the grid's top, one note", m.Lambda[1], rep.Widened)
	}
	if rep.ValMAE[0] >= rep.MeanBaselineMAE[0] {
		t.Errorf("signal: val MAE %.3f, training mean %.3f", rep.ValMAE[0], rep.MeanBaselineMAE[0])
	}
	// A selector shares one penalty: the first of the grid on a tie.
	m2, _, err := probe.Train(train, val, dims, probe.Config{Lambdas: grid}, func([][]float64) float64 { return 1 })
	if err != nil || m2.Lambda[0] != 100 || m2.Lambda[1] != 100 {
		t.Errorf("constant selector: penalties %v, %v", m2.Lambda, err)
	}
}

func TestTrain_Errors(t *testing.T) {
	if _, _, err := probe.Train(nil, nil, []string{"a"}, probe.Config{}, nil); !errors.Is(err, probe.ErrNoExamples) {
		t.Errorf("no examples: %v", err)
	}
	train := []probe.Example{ex([]float32{1, 0}, 1), ex([]float32{1}, 2)}
	if _, _, err := probe.Train(train, nil, []string{"a"}, probe.Config{}, nil); !errors.Is(err, probe.ErrShape) {
		t.Errorf("ragged vectors: %v", err)
	}
	if _, _, err := probe.Train(train[:1], nil, []string{"a"}, probe.Config{Lambdas: []float64{0}}, nil); err == nil {
		t.Errorf("penalty 0: no error")
	}
}

// A saved model predicts as the trained one, through its own copy of the
// encoder, and refuses an encoder folder that is not its encoder.
func TestModel_SaveOpen(t *testing.T) {
	ctx := context.Background()
	texts := []string{}
	for i := range 200 {
		topic := []string{"solar panels power grid energy", "vaccine clinic patients health", "football match goal season"}[i%3]
		texts = append(texts, topic+" story number "+string(rune('a'+i%26)))
	}
	cfg := encode.DefaultHashed()
	cfg.Dim, cfg.Vocab = 8, 64
	enc, err := encode.FitHashed(texts, cfg)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := enc.Encode(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	var train []probe.Example
	for i, v := range vs {
		train = append(train, ex(v, float64(i%3)*4))
	}
	m, _, err := probe.Train(train, nil, []string{"a"}, probe.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(dir, enc); !errors.Is(err, probe.ErrEncoder) {
		t.Fatalf("Save without the encoder's name: %v", err)
	}
	m.Encoder = enc.Name()
	if err := m.Save(dir, enc); err != nil {
		t.Fatal(err)
	}
	back, benc, err := probe.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.PredictTexts(ctx, benc, texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if want := m.Predict(v); !slices.Equal(got[i], want) {
			t.Fatalf("text %d: %v after Open, %v before", i, got[i], want)
		}
	}
	if got[0][0] > 2 || got[1][0] < 2 {
		t.Errorf("the three topics score %v", got[:3])
	}
	// Another encoder in the folder.
	cfg.Seed++
	other, _ := encode.FitHashed(texts, cfg)
	os.RemoveAll(filepath.Join(dir, probe.EncoderDir))
	if err := other.Save(filepath.Join(dir, probe.EncoderDir)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := probe.Open(dir); !errors.Is(err, probe.ErrEncoder) {
		t.Errorf("Open with another encoder: %v", err)
	}
	os.RemoveAll(filepath.Join(dir, probe.EncoderDir))
	if _, _, err := probe.Open(dir); !errors.Is(err, probe.ErrEncoder) {
		t.Errorf("Open without the encoder: %v", err)
	}
}
