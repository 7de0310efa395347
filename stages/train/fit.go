package train

import (
	"context"
	"fmt"

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
	case "embed":
		err = trainEmbed(ctx, sess, query, opts, m, dir, &notes)
	}
	return notes, err
}

// Examples are the rows of a linear or embed fit, read from the lake (and
// for embed, encoded): FitExamples fits them without the session, so that
// cross-validation can fit one fold while it reads or predicts another.
type Examples struct {
	ex   *linearExamples
	emb  *embedExamples
	dims []string
}

// Read reads the rows query returns (as for Fit) for a linear or embed fit.
func Read(ctx context.Context, sess *lake.Session, query string, opts Options, dims []string) (*Examples, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	var e Examples
	var err error
	switch opts.Backend {
	case "linear":
		e.ex, err = readLinear(ctx, sess, query, opts, dims)
	case "embed":
		e.emb, err = readEmbed(ctx, sess, query, opts, dims)
	default:
		return nil, fmt.Errorf("train.Read reads examples for the linear and embed backends, not %s", opts.Backend)
	}
	if err != nil {
		return nil, err
	}
	e.dims = dims
	return &e, nil
}

// FitExamples is Fit on examples Read returned.
func FitExamples(e *Examples, opts Options, dir string) (*Model, []string, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	m := &Model{ID: NewID(opts.Backend), Backend: opts.Backend, Dimensions: e.dims}
	var notes []string
	var err error
	switch {
	case opts.Backend == "linear" && e.ex != nil:
		err = fitLinear(e.ex, opts, m, dir, &notes)
	case opts.Backend == "embed" && e.emb != nil:
		err = fitEmbed(e.emb, opts, m, dir, &notes)
	default:
		err = fmt.Errorf("train.FitExamples: examples read for another backend than %s", opts.Backend)
	}
	return m, notes, err
}
