package gate

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
)

// The metrics a gate compares, in the order of its rows.
const (
	MAE        = "mae"
	OverallMAE = "overall_mae"
	Recall     = "recall"
	Precision  = "precision"
	F1         = "f1"
	Spearman   = "spearman"
)

// Metrics lists them in order; lowerIsBetter marks the errors.
var (
	Metrics       = []string{MAE, OverallMAE, Recall, Precision, F1, Spearman}
	lowerIsBetter = map[string]bool{MAE: true, OverallMAE: true}
)

const nMetrics = 6

// scores is one side's figures per article, aligned by article with every
// other side's, so that a resample draws the same articles for each.
type scores struct {
	// absError is the article's absolute error averaged over dimensions:
	// its mean over articles is the MAE averaged over dimensions.
	absError []float64
	// predicted and oracle are the overall scores.
	predicted, oracle []float64
}

// measure computes every metric over the articles idx at threshold thr; a
// metric with no meaning on them (recall with no relevant article, a
// constant's Spearman) is NaN.
func measure(s *scores, idx []int, thr float64) [nMetrics]float64 {
	var out [nMetrics]float64
	var sumErr, sumOverall float64
	var tp, fp, fn float64
	x, y := make([]float64, len(idx)), make([]float64, len(idx))
	for j, i := range idx {
		sumErr += s.absError[i]
		sumOverall += math.Abs(s.predicted[i] - s.oracle[i])
		relevant, chosen := s.oracle[i] >= thr, s.predicted[i] >= thr
		switch {
		case relevant && chosen:
			tp++
		case chosen:
			fp++
		case relevant:
			fn++
		}
		x[j], y[j] = s.predicted[i], s.oracle[i]
	}
	n := float64(len(idx))
	recall, precision := tp/(tp+fn), tp/(tp+fp)
	f1 := 2 * tp / (2*tp + fp + fn)
	out[0], out[1], out[2], out[3], out[4], out[5] = sumErr/n, sumOverall/n, recall, precision, f1, spearman(x, y)
	return out
}

// spearman is the rank correlation of x and y (average ranks for ties),
// NaN when either is constant.
func spearman(x, y []float64) float64 {
	return pearson(ranks(x), ranks(y))
}

func ranks(v []float64) []float64 {
	order := make([]int, len(v))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case v[a] < v[b]:
			return -1
		case v[a] > v[b]:
			return 1
		}
		return 0
	})
	r := make([]float64, len(v))
	for i := 0; i < len(order); {
		j := i
		for j+1 < len(order) && v[order[j+1]] == v[order[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[order[k]] = avg
		}
		i = j + 1
	}
	return r
}

func pearson(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// interval is a 95% interval of a difference; ok is false when no
// resample gave the metric a value on both sides.
type interval struct {
	low, high float64
	ok        bool
}

// pairedBootstrap resamples the articles with replacement b times (seeded:
// the same seed gives the same intervals) and, on each resample, takes the
// difference candidate minus other of every metric, the candidate and
// every other side scored on the very same articles. It returns the
// percentile 95% interval of each difference, per other side.
func pairedBootstrap(ctx context.Context, cand *scores, others []*scores, thr float64, b int, seed uint64) ([][nMetrics]interval, error) {
	n := len(cand.absError)
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	diffs := make([][nMetrics][]float64, len(others))
	idx := make([]int, n)
	for r := 0; r < b; r++ {
		if r%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		cm := measure(cand, idx, thr)
		for o, other := range others {
			om := measure(other, idx, thr)
			for k := range cm {
				if d := cm[k] - om[k]; !math.IsNaN(d) {
					diffs[o][k] = append(diffs[o][k], d)
				}
			}
		}
	}
	out := make([][nMetrics]interval, len(others))
	for o := range others {
		for k := range nMetrics {
			d := diffs[o][k]
			if len(d) == 0 {
				continue
			}
			slices.Sort(d)
			out[o][k] = interval{low: quantile(d, 0.025), high: quantile(d, 0.975), ok: true}
		}
	}
	return out, nil
}

// quantile of sorted values, interpolating between neighbours.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}

// worse reports whether an interval of metric's difference lies wholly on
// the worse side of zero.
func worse(metric string, iv interval) bool {
	if !iv.ok {
		return false
	}
	if lowerIsBetter[metric] {
		return iv.low > 0
	}
	return iv.high < 0
}
