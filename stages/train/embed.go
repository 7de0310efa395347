package train

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/students/encode"
	"github.com/distillery/distillery/students/probe"
)

// Frozen is the embed backend's encoder and where it came from.
type Frozen struct {
	encode.Encoder
	// Source says where: the filter's embeddings, or fitted for the run.
	Source string
}

// EmbedEncoder is the encoder an embed model of f is trained on: the
// hashed encoder of the filter's newest embeddings (distill embed), so the
// model's vectors are the ones in <filter>.embeddings; else a hashed
// encoder fitted on every compressed text of the snapshot sess's examples
// read (compressed_input, which curate.DefineExamples defines). Fitting
// reads no label (the encoder is unsupervised), so fitting on the
// validation and test texts too leaks nothing of their scores; it is what
// distill embed would fit. The encoder is saved with each model, never
// into the lake's encoders/ folder, which distill embed owns.
func EmbedEncoder(ctx context.Context, l *lake.Lake, sess *lake.Session, f *filters.Filter) (*Frozen, error) {
	missing := ""
	rel, snap, err := sess.Relation(ctx, spec.Embeddings.Ref(f))
	if err != nil && !errors.Is(err, lake.ErrNoTable) {
		return nil, err
	}
	if err == nil && snap != nil {
		if err := sess.Input(ctx, "embeddings_input", rel); err != nil {
			return nil, err
		}
		var name string
		err := sess.QueryRowFile(ctx, "embed/latest_encoder", nil, &name)
		switch {
		case err == nil:
			dir := encode.Dir(l.Root, f.Namespace(), name)
			e, err := encode.LoadHashed(dir)
			if err == nil {
				return &Frozen{Encoder: e, Source: fmt.Sprintf("%s (%s)", spec.Embeddings.For(f), dir)}, nil
			}
			if !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
			missing = fmt.Sprintf(" (%s's encoder %s is gone from %s)", spec.Embeddings.For(f), name, dir)
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
	}
	var texts []string
	err = sess.EachFile(ctx, "students/encoder_texts", nil, func(rows *sql.Rows) error {
		var t string
		if err := rows.Scan(&t); err != nil {
			return err
		}
		texts = append(texts, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	e, err := encode.FitHashed(texts, encode.DefaultHashed())
	if err != nil {
		return nil, fmt.Errorf("embed backend: %w", err)
	}
	return &Frozen{Encoder: e, Source: "fitted on " + human.Plural(int64(min(len(texts), encode.DefaultHashed().FitDocs)), "compressed text") + missing}, nil
}

// embedExamples are the rows of an embed fit, encoded.
type embedExamples struct {
	train, val []probe.Example
	vs         *valSet
}

// readEmbed reads the rows of query (see Fit) and encodes their texts
// with opts.Encoder; the training rows carry their --sample-weight.
func readEmbed(ctx context.Context, sess *lake.Session, query string, opts Options, dims []string) (*embedExamples, error) {
	if opts.Encoder == nil {
		return nil, ErrNoEncoder
	}
	ex, err := readLinear(ctx, sess, query, opts, dims)
	if err != nil {
		return nil, err
	}
	texts := make([]string, 0, len(ex.train)+len(ex.val))
	for _, e := range append(ex.train, ex.val...) {
		texts = append(texts, e.Text)
	}
	vs, err := opts.Encoder.Encode(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("encode with %s: %w", opts.Encoder.Name(), err)
	}
	out := &embedExamples{vs: ex.vs}
	for i, e := range ex.train {
		out.train = append(out.train, probe.Example{Vector: vs[i], Labels: e.Labels, Weight: e.Weight})
	}
	for i, e := range ex.val {
		out.val = append(out.val, probe.Example{Vector: vs[len(ex.train)+i], Labels: e.Labels})
	}
	return out, nil
}

// trainEmbed fits the embed student on the rows of query into dir.
func trainEmbed(ctx context.Context, sess *lake.Session, query string, opts Options, m *Model, dir string, notes *[]string) error {
	ex, err := readEmbed(ctx, sess, query, opts, m.Dimensions)
	if err != nil {
		return err
	}
	return fitEmbed(ex, opts, m, dir, notes)
}

// fitEmbed fits the probe on ex and saves it, with a copy of its encoder,
// in dir; it reads nothing from the lake.
func fitEmbed(ex *embedExamples, opts Options, m *Model, dir string, notes *[]string) error {
	enc := opts.Encoder
	report(opts, Progress{Message: fmt.Sprintf("fitting %s on %s of %s", human.Plural(int64(len(m.Dimensions)), "ridge regression"),
		human.Plural(int64(len(ex.train)), "vector"), enc.Name())})
	var sel probe.Selector
	if opts.selectBy.Ranking() {
		sel = ex.vs.score
		*notes = append(*notes, ex.vs.degenerate()...)
	}
	model, rep, err := probe.Train(ex.train, ex.val, m.Dimensions, opts.Embed, sel)
	if err != nil {
		return err
	}
	model.Encoder = enc.Name()
	if err := model.Save(dir, enc.Encoder); err != nil {
		return err
	}
	m.BaseModel = enc.Name()
	m.TrainRows, m.ValRows = int64(rep.TrainRows), int64(rep.ValRows)
	*notes = append(*notes, rep.Widened...)
	if rep.ValMAE != nil {
		m.ValMAEDims = rep.ValMAE
		m.ValMAE = mean(rep.ValMAE)
	}
	params := map[string]any{"encoder": enc.Name(), "encoder_source": enc.Source, "dim": enc.Dim(), "embed_model": opts.EmbedModel,
		"lambdas": opts.Embed.Lambdas, "chosen_lambda": model.Lambda, "sample_weight": opts.sampleWeight.String()}
	m.Params = selectParams(params, opts.selectBy, len(ex.val) > 0, m.ValMAE, rep.Selected)
	return nil
}

// embedPredictions scores the texts with the saved embed model and its
// copy of the encoder, as predict will.
func embedPredictions(ctx context.Context, dir string, texts []string) ([][]float64, error) {
	model, enc, err := probe.Open(dir)
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	return model.PredictTexts(ctx, enc, texts)
}

// embedDefaults fills the embed backend's options.
func (o *Options) embedDefaults() error {
	if o.EmbedModel == "" {
		o.EmbedModel = HashedEncoder
	}
	if o.EmbedModel != HashedEncoder {
		return fmt.Errorf("embed backend: only the hashed encoder for now (--embed-model %s)", o.EmbedModel)
	}
	if len(o.Embed.Lambdas) == 0 {
		o.Embed = probe.DefaultConfig()
	}
	return nil
}

// HashedEncoder is EmbedModel's default: the CPU encoder (encode.Hashed).
const HashedEncoder = "hashed"
