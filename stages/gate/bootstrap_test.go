package gate

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// The paired bootstrap's 95% interval of an MAE difference covers the
// true difference about 95% of the time: over 200 datasets drawn with a
// known difference of 0.1, between 88% and 99% of the intervals hold it.
func TestPairedBootstrap_Coverage(t *testing.T) {
	const datasets, n, delta = 200, 80, 0.1
	rng := rand.New(rand.NewPCG(1, 2))
	covered := 0
	for d := range datasets {
		base, cand := &scores{}, &scores{}
		for range n {
			e := math.Abs(rng.NormFloat64())
			// The noise has mean zero, so the expected difference is delta.
			base.absError = append(base.absError, e)
			cand.absError = append(cand.absError, e+delta+0.4*rng.NormFloat64())
			o := 10 * rng.Float64()
			base.oracle, base.predicted = append(base.oracle, o), append(base.predicted, o)
			cand.oracle, cand.predicted = append(cand.oracle, o), append(cand.predicted, o)
		}
		iv, err := pairedBootstrap(context.Background(), cand, []*scores{base}, 5, 400, uint64(d))
		if err != nil {
			t.Fatal(err)
		}
		if mae := iv[0][0]; mae.ok && mae.low <= delta && delta <= mae.high {
			covered++
		}
	}
	if rate := float64(covered) / datasets; rate < 0.88 || rate > 0.99 {
		t.Errorf("the 95%% intervals covered the true difference in %.1f%% of datasets, want about 95%%", 100*rate)
	}
}

func TestSpearman_Ties(t *testing.T) {
	if got := spearman([]float64{1, 2, 2, 3}, []float64{1, 2, 2, 3}); math.Abs(got-1) > 1e-12 {
		t.Errorf("identical with ties: %g, want 1", got)
	}
	if got := spearman([]float64{1, 2, 3}, []float64{3, 2, 1}); math.Abs(got+1) > 1e-12 {
		t.Errorf("reversed: %g, want -1", got)
	}
	if got := spearman([]float64{2, 2, 2}, []float64{1, 2, 3}); !math.IsNaN(got) {
		t.Errorf("a constant side: %g, want NaN", got)
	}
}

func TestWorse(t *testing.T) {
	for _, c := range []struct {
		metric string
		iv     interval
		want   bool
	}{
		{MAE, interval{0.1, 0.3, true}, true},
		{MAE, interval{-0.1, 0.3, true}, false},
		{Recall, interval{-0.3, -0.1, true}, true},
		{Recall, interval{-0.3, 0, true}, false},
		{Recall, interval{}, false},
	} {
		if got := worse(c.metric, c.iv); got != c.want {
			t.Errorf("worse(%s, %+v) = %v, want %v", c.metric, c.iv, got, c.want)
		}
	}
}
