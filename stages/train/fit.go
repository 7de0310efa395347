package train

import (
	"context"

	"github.com/distillery/distillery/lake"
)

// Relevant is the SQL of an example's relevance for a ranking metric of
// --select-by: the oracle put it in a tier above the bottom one.
const Relevant = "tier <> (SELECT tier FROM filter_tiers ORDER BY tier_rank DESC LIMIT 1) AS relevant"

// Fit trains opts.Backend on the rows query returns (split, id, text,
// labels, overall, relevant: train rows to fit, val rows to choose by) and
// saves the model's files in dir, without a row in <filter>.models:
// cross-validation trains its fold models this way and never keeps them.
// It returns the model (its Artifact is left for the caller to set) and
// what the run would tell the user besides its figures.
func Fit(ctx context.Context, sess *lake.Session, query string, opts Options, dims []string, dir string) (*Model, []string, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	m := &Model{ID: NewID(opts.Backend), Backend: opts.Backend, Dimensions: dims}
	notes, err := fit(ctx, sess, query, opts, m, dir)
	return m, notes, err
}

// fit trains m with opts.Backend into dir.
func fit(ctx context.Context, sess *lake.Session, query string, opts Options, m *Model, dir string) ([]string, error) {
	var notes []string // what the run tells the user besides its figures
	var err error
	switch opts.Backend {
	case "linear":
		err = trainLinear(ctx, sess, query, opts, m, dir, &notes)
	case "lora":
		err = trainLoRA(ctx, sess, query, opts, m, dir)
	}
	return notes, err
}
