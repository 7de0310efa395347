package weights

import (
	"errors"
	"math"
	"testing"
)

func TestScale(t *testing.T) {
	if w, err := Scale([]float64{0, 1, 0, 1}); w != nil || err != nil {
		t.Errorf("0s and 1s are the unweighted fit: %v, %v", w, err)
	}
	w, err := Scale([]float64{1, 3, 0, 4})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, x := range w {
		sum += x
	}
	if math.Abs(sum-4) > 1e-12 || math.Abs(w[3]/w[0]-4) > 1e-12 || w[2] != w[0] {
		t.Errorf("scaled %v: want mean 1, ratios kept, 0 as 1", w)
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := Scale([]float64{1, bad}); !errors.Is(err, ErrWeight) {
			t.Errorf("weight %v: %v", bad, err)
		}
	}
}
