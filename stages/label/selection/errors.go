package selection

import "errors"

// Sentinel errors, wrapped with what they concern.
var (
	// ErrPlan means a --select plan cannot be read.
	ErrPlan = errors.New("bad --select")
	// ErrInputs means the pool lacks what a strategy reads (embeddings,
	// seeds, predictions).
	ErrInputs = errors.New("selection inputs missing")
)
