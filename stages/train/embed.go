package train

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/students/encode"
	"github.com/distillery/distillery/students/lora"
	"github.com/distillery/distillery/students/probe"
)

// Frozen is the embed backend's encoder and where it came from.
type Frozen struct {
	encode.Encoder
	// Source says where: the filter's embeddings, fitted for the run, or
	// a sentence-encoder folder.
	Source string
	// Folder and Python are a sentence encoder's folder (absolute) and
	// the interpreter that runs it ("" for a hashed encoder).
	Folder, Python string
}

// EmbedEncoderFor is the encoder opts' embed models are trained on: the
// sentence encoder in the folder opts.EmbedModel names, run by
// opts.LoRA.Python (see SentenceEncoder), else the hashed encoder
// EmbedEncoder resolves. The caller closes it.
func EmbedEncoderFor(ctx context.Context, l *lake.Lake, sess *lake.Session, opts Options) (*Frozen, error) {
	if opts.EmbedModel == "" || opts.EmbedModel == HashedEncoder {
		return EmbedEncoder(ctx, l, sess, opts.Filter)
	}
	return SentenceEncoder(ctx, opts.EmbedModel, opts.LoRA.Python)
}

// SentenceEncoder starts the Python trainer's sentence encoder on folder
// with python ("": $DISTILL_PYTHON, else python3) and the trainer's
// default options. Its vectors are remembered by text, so the folds of a
// cv run, which share one encoder, encode each text once.
func SentenceEncoder(ctx context.Context, folder, python string) (*Frozen, error) {
	abs, err := filepath.Abs(folder)
	if err != nil {
		return nil, err
	}
	python = lora.Recordable(lora.Python(python, ""))
	to := encode.DefaultTrainerOptions()
	t, err := encode.NewTrainer(ctx, python, abs, to)
	if err != nil {
		return nil, fmt.Errorf("embed backend: %w", err)
	}
	s := &probe.Sentence{Encoder: &memo{Encoder: t, vectors: map[string][]float32{}}, Folder: abs, MaxLength: to.MaxLength, Python: python}
	return &Frozen{Encoder: s, Source: "sentence encoder " + abs, Folder: abs, Python: python}, nil
}

// memo is an encoder that remembers each text's vector.
type memo struct {
	encode.Encoder
	mu      sync.Mutex
	vectors map[string][]float32
}

// Encode encodes the texts it has not seen, once each, in one call.
func (m *memo) Encode(ctx context.Context, texts []string) ([][]float32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var todo []string
	seen := map[string]bool{}
	for _, t := range texts {
		if _, ok := m.vectors[t]; !ok && !seen[t] {
			seen[t] = true
			todo = append(todo, t)
		}
	}
	if len(todo) > 0 {
		vs, err := m.Encoder.Encode(ctx, todo)
		if err != nil {
			return nil, err
		}
		if len(vs) != len(todo) {
			return nil, fmt.Errorf("%w %s: %d vectors for %d texts", probe.ErrEncoder, m.Name(), len(vs), len(todo))
		}
		for i, t := range todo {
			m.vectors[t] = vs[i]
		}
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = m.vectors[t]
	}
	return out, nil
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
		name, e, err := curate.LatestHashed(ctx, l, sess, f)
		dir := encode.Dir(l.Root, f.Namespace(), name)
		switch {
		case err == nil && name != "":
			return &Frozen{Encoder: e, Source: fmt.Sprintf("%s (%s)", spec.Embeddings.For(f), dir)}, nil
		case errors.Is(err, os.ErrNotExist):
			missing = fmt.Sprintf(" (%s's encoder %s is gone from %s)", spec.Embeddings.For(f), name, dir)
		case err != nil:
			return nil, err
		}
	}
	e, fitted, err := curate.FitHashed(ctx, sess)
	if err != nil {
		return nil, fmt.Errorf("embed backend: %w", err)
	}
	return &Frozen{Encoder: e, Source: "fitted on " + human.Plural(int64(fitted), "compressed text") + missing}, nil
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
	if enc.Folder != "" { // predict starts the trainer on the folder again, with this python by default
		params["encoder_folder"], params["python"] = enc.Folder, enc.Python
	}
	m.Params = selectParams(params, opts.selectBy, len(ex.val) > 0, m.ValMAE, rep.Selected)
	return nil
}

// embedPredictions scores the texts with the saved embed model and its
// copy of the encoder (or its sentence encoder's folder), as predict will.
func embedPredictions(ctx context.Context, dir string, texts []string) ([][]float64, error) {
	model, enc, err := probe.OpenWith(ctx, dir, "")
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
		if fi, err := os.Stat(o.EmbedModel); err != nil || !fi.IsDir() {
			return fmt.Errorf("%w: --embed-model %s (want %s or a sentence encoder's folder, e.g. all-MiniLM-L6-v2's: %s -m distill_trainer fetch-minilm --out %s)",
				ErrEmbedModel, o.EmbedModel, HashedEncoder, lora.Python(o.LoRA.Python, ""), o.EmbedModel)
		}
		if o.LoRA.Python == "" {
			o.LoRA.Python = lora.PythonDefault()
		}
	}
	if len(o.Embed.Lambdas) == 0 {
		o.Embed = probe.DefaultConfig()
	}
	return nil
}

// HashedEncoder is EmbedModel's default: the CPU encoder (encode.Hashed);
// anything else is a sentence encoder's folder (SentenceEncoder).
const HashedEncoder = "hashed"
