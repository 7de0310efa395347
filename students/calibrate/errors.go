package calibrate

import "errors"

var (
	// ErrTooFew means too few validation points to fit a map (MinPoints).
	ErrTooFew = errors.New("too few points to calibrate")
	// ErrNotFinite means a prediction or label was NaN or infinite.
	ErrNotFinite = errors.New("not a finite number")
	// ErrFormat means a calibration file this distill cannot read.
	ErrFormat = errors.New("not a calibration this distill reads")
)
