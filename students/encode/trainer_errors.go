package encode

import (
	"errors"
	"fmt"
)

// ErrNoModel means a Trainer encoder's model folder is not there.
var ErrNoModel = errors.New("no such model folder")

// ErrClosed means an encoder's process is gone: Close was called, an Encode
// was cancelled, or the process failed (the Encode that saw it returned why).
var ErrClosed = errors.New("encoder closed")

// ModelError is a model folder the user must provide; its message says how
// to fetch all-MiniLM-L6-v2 there.
type ModelError struct {
	// Dir is the folder asked for.
	Dir string
	// Python is the interpreter that runs the trainer, for the hint.
	Python string
	Err    error
}

func (e *ModelError) Error() string {
	return fmt.Sprintf("sentence encoder: %s: %v (fetch all-MiniLM-L6-v2 with: %s -m distill_trainer fetch-minilm --out %s)",
		e.Dir, e.Err, e.Python, e.Dir)
}

func (e *ModelError) Unwrap() error { return e.Err }
