// Package calibrate fits per-dimension isotonic (monotone non-decreasing)
// maps from a student's raw scores to the oracle's, on validation
// predictions: training on MSE squashes a student's range towards the mean
// (the reference project saw oracle 7+ mapped to student ~5-6), and a
// monotone map stretches it back without changing the ranking. FitAll is
// the entry point; train saves the result with the model (Save) and predict
// applies it (Load, Calibration.Apply).
package calibrate

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/distillery/distillery/internal/human"
)

// MinPoints is the fewest validation articles a map is fitted on: below
// it, PAV's blocks are single articles and the map is noise.
const MinPoints = 20

// Isotonic is a monotone map given by its breakpoints: X strictly
// increasing, Y non-decreasing, applied by linear interpolation between
// them and flat beyond the ends.
type Isotonic struct {
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

// Fit fits an isotonic regression of label on pred by pool-adjacent-
// violators (equal predictions pooled first, each block's value the mean
// of its labels), clamped to 0-10. Fewer than MinPoints pairs is
// ErrTooFew.
func Fit(pred, label []float64) (*Isotonic, error) {
	if len(pred) != len(label) {
		return nil, fmt.Errorf("%s but %s", human.Plural(int64(len(pred)), "prediction"), human.Plural(int64(len(label)), "label"))
	}
	if len(pred) < MinPoints {
		return nil, fmt.Errorf("%w: %s, want at least %d", ErrTooFew, human.Plural(int64(len(pred)), "point"), MinPoints)
	}
	for i := range pred {
		if !finite(pred[i]) || !finite(label[i]) {
			return nil, fmt.Errorf("%w: point %d is (%v, %v)", ErrNotFinite, i, pred[i], label[i])
		}
	}
	return pav(pred, label), nil
}

// pav is Fit without its checks.
func pav(pred, label []float64) *Isotonic {
	idx := make([]int, len(pred))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return pred[idx[a]] < pred[idx[b]] })
	// A block is a run of sorted points pooled to one value.
	type block struct {
		lo, hi   float64 // smallest and largest prediction in it
		sum, cnt float64
	}
	var st []block
	for _, i := range idx {
		b := block{lo: pred[i], hi: pred[i], sum: label[i], cnt: 1}
		if n := len(st); n > 0 && st[n-1].hi == b.lo {
			st[n-1].sum += b.sum
			st[n-1].cnt++
		} else {
			st = append(st, b)
		}
		for n := len(st); n > 1 && st[n-2].sum/st[n-2].cnt >= st[n-1].sum/st[n-1].cnt; n = len(st) {
			top := st[n-1]
			st = st[:n-1]
			st[n-2].hi, st[n-2].sum, st[n-2].cnt = top.hi, st[n-2].sum+top.sum, st[n-2].cnt+top.cnt
		}
	}
	m := &Isotonic{}
	for _, b := range st {
		y := clamp(b.sum / b.cnt)
		m.X, m.Y = append(m.X, b.lo), append(m.Y, y)
		if b.hi > b.lo {
			m.X, m.Y = append(m.X, b.hi), append(m.Y, y)
		}
	}
	return m
}

// Apply maps a raw score.
func (m *Isotonic) Apply(x float64) float64 {
	n := len(m.X)
	switch {
	case n == 0 || math.IsNaN(x):
		return x
	case x <= m.X[0]:
		return m.Y[0]
	case x >= m.X[n-1]:
		return m.Y[n-1]
	}
	i, _ := slices.BinarySearch(m.X, x) // m.X[i-1] < x <= m.X[i]
	if m.X[i] == x {
		return m.Y[i]
	}
	t := (x - m.X[i-1]) / (m.X[i] - m.X[i-1])
	return clamp(m.Y[i-1] + t*(m.Y[i]-m.Y[i-1]))
}

// check says whether a map read from a file is one Fit could have made:
// breakpoints that would make Apply non-monotone or leave 0-10 are refused.
func (m *Isotonic) check() error {
	if len(m.X) == 0 || len(m.X) != len(m.Y) {
		return fmt.Errorf("%s and %s, want as many of each and at least one", human.Plural(int64(len(m.X)), "x"), human.Plural(int64(len(m.Y)), "y"))
	}
	for i := range m.X {
		if !finite(m.X[i]) || !finite(m.Y[i]) || m.Y[i] < 0 || m.Y[i] > 10 {
			return fmt.Errorf("breakpoint %d is (%v, %v): want finite, y in 0-10", i, m.X[i], m.Y[i])
		}
		if i > 0 && (m.X[i] <= m.X[i-1] || m.Y[i] < m.Y[i-1]) {
			return fmt.Errorf("breakpoint %d (%v, %v) after (%v, %v): want x increasing, y not decreasing", i, m.X[i], m.Y[i], m.X[i-1], m.Y[i-1])
		}
	}
	return nil
}

func clamp(x float64) float64 { return math.Max(0, math.Min(10, x)) }

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
