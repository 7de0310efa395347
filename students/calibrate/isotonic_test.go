package calibrate

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// TestPAV_HandWorked checks PAV's breakpoints on cases worked by hand.
func TestPAV_HandWorked(t *testing.T) {
	for _, tc := range []struct {
		name         string
		pred, label  []float64
		wantX, wantY []float64
	}{
		{"one violation pooled", []float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}, []float64{1, 2, 3, 4}, []float64{1, 2.5, 2.5, 4}},
		{"decreasing: one block", []float64{1, 2, 3}, []float64{3, 2, 1}, []float64{1, 3}, []float64{2, 2}},
		{"unsorted input", []float64{4, 1, 3, 2}, []float64{4, 1, 2, 3}, []float64{1, 2, 3, 4}, []float64{1, 2.5, 2.5, 4}},
		{"equal predictions pooled first", []float64{1, 1, 2}, []float64{0, 4, 1}, []float64{1, 2}, []float64{5.0 / 3, 5.0 / 3}},
		// The tie at 2 lowers its block below the one before: pooled again.
		{"tie that breaks monotonicity", []float64{1, 2, 2}, []float64{2, 3, 0}, []float64{1, 2}, []float64{5.0 / 3, 5.0 / 3}},
		{"clamped to 0-10", []float64{1, 2, 3}, []float64{-1, 12, 13}, []float64{1, 2, 3}, []float64{0, 10, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := pav(tc.pred, tc.label)
			if !near(m.X, tc.wantX) || !near(m.Y, tc.wantY) {
				t.Errorf("got x %v y %v, want x %v y %v", m.X, m.Y, tc.wantX, tc.wantY)
			}
		})
	}
}

func TestIsotonic_Apply(t *testing.T) {
	m := &Isotonic{X: []float64{1, 2, 3, 4}, Y: []float64{1, 2.5, 2.5, 4}}
	for x, want := range map[float64]float64{-3: 1, 1: 1, 1.5: 1.75, 2: 2.5, 2.7: 2.5, 3.5: 3.25, 4: 4, 11: 4} {
		if got := m.Apply(x); math.Abs(got-want) > 1e-12 {
			t.Errorf("Apply(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestFit_TooFew(t *testing.T) {
	p := make([]float64, MinPoints-1)
	if _, err := Fit(p, p); !errors.Is(err, ErrTooFew) {
		t.Fatalf("Fit on %d points: %v, want ErrTooFew", len(p), err)
	}
	p = append(p, 0)
	p[3] = math.NaN()
	if _, err := Fit(p, p); !errors.Is(err, ErrNotFinite) {
		t.Fatalf("Fit with a NaN: %v, want ErrNotFinite", err)
	}
}

// FuzzFit checks what holds for every input: the map is monotone and
// within 0-10 everywhere, and (labels within 0-10) its values at the
// points sum to the labels' sum, as a least-squares fit's do.
func FuzzFit(f *testing.F) {
	f.Add(uint64(1), 30, 0.3, 1.0)
	f.Add(uint64(2), 20, 1.0, 0.0)
	f.Add(uint64(3), 200, -0.5, 3.0)
	f.Add(uint64(4), 25, 0.0, 0.5) // constant predictor: one block
	f.Fuzz(func(t *testing.T, seed uint64, n int, slope, noise float64) {
		if n < 1 || n > 2000 || !finite(slope) || !finite(noise) || math.Abs(slope) > 100 || math.Abs(noise) > 100 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 7))
		pred, label := make([]float64, n), make([]float64, n)
		sum := 0.0
		for i := range n {
			label[i] = math.Round(r.Float64()*10*2) / 2 // half points, with ties
			pred[i] = math.Round((4+slope*(label[i]-4)+noise*r.NormFloat64())*10) / 10
			sum += label[i]
		}
		m := pav(pred, label)
		if err := m.check(); err != nil {
			t.Fatalf("breakpoints: %v (x %v y %v)", err, m.X, m.Y)
		}
		xs := slices.Clone(pred)
		for range 50 {
			xs = append(xs, -20+40*r.Float64())
		}
		slices.Sort(xs)
		prev := -1.0
		for _, x := range xs {
			y := m.Apply(x)
			if y < prev-1e-12 || y < 0 || y > 10 {
				t.Fatalf("Apply(%v) = %v after %v: not monotone within 0-10", x, y, prev)
			}
			prev = y
		}
		fitted := 0.0
		for _, x := range pred {
			fitted += m.Apply(x)
		}
		if math.Abs(fitted-sum) > 1e-6*math.Max(1, sum) {
			t.Fatalf("fitted values sum to %v, labels to %v", fitted, sum)
		}
	})
}

// TestFitAll_SquashedPredictor plants the reference's failure: a student
// trained on MSE maps oracle 7+ to ~5-6 (pred = 4 + 0.3(label-4) + noise).
// A calibration fitted on one half must restore the range on the other
// half and lower its MAE.
func TestFitAll_SquashedPredictor(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 1))
	const n = 2000
	preds, labels := make([][]float64, n), make([][]float64, n)
	for i := range n {
		y := math.Round(r.Float64() * 10)
		preds[i] = []float64{4 + 0.3*(y-4) + 0.3*r.NormFloat64()}
		labels[i] = []float64{y}
	}
	c, err := FitAll([]string{"d"}, preds[:n/2], labels[:n/2])
	if err != nil {
		t.Fatal(err)
	}
	var rawMAE, calMAE, rawHigh, calHigh, high float64
	for i := n / 2; i < n; i++ {
		raw, y := preds[i][0], labels[i][0]
		cal := c.Apply(preds[i])[0]
		rawMAE += math.Abs(raw-y) / (n / 2)
		calMAE += math.Abs(cal-y) / (n / 2)
		if y >= 7 {
			rawHigh, calHigh, high = rawHigh+raw, calHigh+cal, high+1
		}
	}
	rawHigh, calHigh = rawHigh/high, calHigh/high
	t.Logf("held-out MAE %.3f raw, %.3f calibrated; oracle 7+ scored %.2f raw, %.2f calibrated", rawMAE, calMAE, rawHigh, calHigh)
	if rawHigh > 6 {
		t.Fatalf("the planted predictor is not squashed: oracle 7+ scored %.2f", rawHigh)
	}
	if calHigh < 7.5 {
		t.Errorf("calibrated, oracle 7+ articles score %.2f on average, want their range back (>= 7.5)", calHigh)
	}
	if calMAE > 0.6*rawMAE {
		t.Errorf("held-out MAE %.3f calibrated vs %.3f raw: want at least 40%% lower", calMAE, rawMAE)
	}
}

func TestCalibration_SaveLoad(t *testing.T) {
	preds, labels := make([][]float64, 40), make([][]float64, 40)
	for i := range preds {
		preds[i] = []float64{float64(i) / 8, 5 - float64(i)/10}
		labels[i] = []float64{float64(i) / 4, float64(i % 7)}
	}
	c, err := FitAll([]string{"a", "b"}, preds, labels)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), File)
	name, err := c.Save(path)
	if err != nil {
		t.Fatal(err)
	}
	got, name2, err := Load(path, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if name != name2 || len(name) != len(Method)+len(" sha256:")+64 {
		t.Errorf("names %q and %q: want the same, method and sha256", name, name2)
	}
	if x := []float64{1.3, 2.2}; !near(got.Apply(x), c.Apply(x)) {
		t.Errorf("loaded map gives %v, saved one %v", got.Apply(x), c.Apply(x))
	}
	if _, _, err := Load(path, []string{"a", "c"}); !errors.Is(err, ErrFormat) {
		t.Errorf("load for other dimensions: %v, want ErrFormat", err)
	}
	for _, bad := range []string{
		`{"method":"isotonic:v2","points":1,"dimensions":[]}`,
		`{"method":"isotonic:v1","points":1,"dimensions":[{"name":"a","x":[1,2],"y":[3,2]}]}`,
		`{"method":"isotonic:v1","points":1,"dimensions":[{"name":"a","x":[2,1],"y":[1,2]}]}`,
		`{"method":"isotonic:v1","points":1,"dimensions":[{"name":"a","x":[1],"y":[11]}]}`,
		`{"method":"isotonic:v1","points":1,"extra":0,"dimensions":[]}`,
	} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrFormat) {
			t.Errorf("Parse(%s): %v, want ErrFormat", bad, err)
		}
	}
}

func near(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}
