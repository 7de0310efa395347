// Package weights scales the sample weights a student's training rows
// carry (train --sample-weight), the same way for every backend.
package weights

import (
	"errors"
	"fmt"
	"math"
)

// ErrWeight means a training row's weight is negative or not finite.
var ErrWeight = errors.New("bad sample weight")

// Scale is ws scaled to mean 1, 0 standing for 1, or nil when every one is
// 0 or 1 (the unweighted fit, exactly). Scaled so a penalty means the same
// with and without weights: the squared error sums to about as much either
// way.
func Scale(ws []float64) ([]float64, error) {
	var sum float64
	uniform := true
	for i, w := range ws {
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("training example %d: %w %v, want a finite number, 0 or more (0: 1)", i, ErrWeight, w)
		}
		if w == 0 {
			w = 1
		}
		uniform = uniform && w == 1
		sum += w
	}
	if uniform {
		return nil, nil
	}
	scale := float64(len(ws)) / sum
	out := make([]float64, len(ws))
	for i, w := range ws {
		out[i] = scale
		if w != 0 {
			out[i] *= w
		}
	}
	return out, nil
}
