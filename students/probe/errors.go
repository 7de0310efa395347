package probe

import (
	"errors"
	"fmt"

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

// FolderError is a model trained on a sentence encoder whose folder is
// gone, or now gives another encoder: the model keeps a reference to the
// folder, not a copy of the weights, so the user must restore it or
// retrain.
type FolderError struct {
	// Model is the model's folder; Encoder the encoder it was trained on.
	Model, Encoder string
	// Folder is the sentence encoder's folder; Now the encoder it gives
	// today ("": the folder is gone).
	Folder, Now string
}

func (e *FolderError) Error() string {
	if e.Now == "" {
		return fmt.Sprintf("model %s was trained on %s; its folder %s is gone: restore the folder or retrain", e.Model, e.Encoder, e.Folder)
	}
	return fmt.Sprintf("model %s was trained on %s; %s now gives %s: restore the folder or retrain", e.Model, e.Encoder, e.Folder, e.Now)
}

// Unwrap makes a FolderError an ErrEncoder.
func (e *FolderError) Unwrap() error { return ErrEncoder }
