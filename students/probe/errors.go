package probe

import (
	"errors"

	"github.com/distillery/distillery/students/weights"
)

// ErrNoExamples means there was nothing to train on.
var ErrNoExamples = errors.New("no training examples")

// ErrWeight is a training example's weight that is negative or not finite.
var ErrWeight = weights.ErrWeight

// ErrShape is an example whose vector or labels do not have the length the
// others (or the model) have.
var ErrShape = errors.New("example shape")

// ErrEncoder is a model folder whose encoder is missing, of a kind this
// distill cannot load, or not the one the model was trained with.
var ErrEncoder = errors.New("probe encoder")
