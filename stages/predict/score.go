package predict

import (
	"context"
	"errors"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/students"
)

// Score predicts, with model m, every row query returns (id, text, split)
// and hands each to emit, in any order, without writing a table:
// cross-validation scores the fold each fold model left out this way.
// opts supplies the lora settings (Python, BatchSize, Device, Workers);
// Validate fills their defaults.
func Score(ctx context.Context, l *lake.Lake, sess *lake.Session, query string, m *students.Model, opts Options, emit func(id, split string, scores []float64)) error {
	if opts.Model == "" {
		opts.Model = m.ID
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	each := func(s scored) { emit(s.id, s.split, s.scores) }
	switch m.Backend {
	case "linear":
		return predictLinear(ctx, sess, query, m, l, opts.Workers, each, nil)
	case "lora":
		return predictLoRA(ctx, sess, query, m, l, opts, each)
	case "embed":
		return predictEmbed(ctx, sess, query, m, l, opts.Python, each, nil)
	}
	return errors.New("model " + m.ID + ": unknown backend " + m.Backend)
}
