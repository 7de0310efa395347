package train

import "errors"

// ErrSampleWeight is a --sample-weight (sample_weight) that names no
// weighting.
var ErrSampleWeight = errors.New("--sample-weight")
