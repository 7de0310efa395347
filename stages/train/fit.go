package train

import (
	"context"

	"github.com/distillery/distillery/lake"
)

// Fit trains opts.Backend on the rows query returns (split, id, text,
// labels: train rows to fit, val rows to choose by) and saves the model's
// files in dir, without a row in <filter>.models: cross-validation trains
// its fold models this way and never keeps them. It returns the model (its
// Artifact is left for the caller to set) and what the run would tell the
// user besides its figures.
func Fit(ctx context.Context, sess *lake.Session, query string, opts Options, dims []string, dir string) (*Model, []string, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	m := &Model{ID: NewID(opts.Backend), Backend: opts.Backend, Dimensions: dims}
	var notes []string
	var err error
	switch opts.Backend {
	case "linear":
		err = trainLinear(ctx, sess, query, opts, m, dir, &notes)
	case "lora":
		err = trainLoRA(ctx, sess, query, opts, m, dir)
	}
	return m, notes, err
}
