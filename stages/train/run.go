// Package train fits a student on a filter's train split and records it in
// <filter>.models, its files under the lake (models/<filter>/<id>/). Two
// backends: linear (pure Go, students/linear) and lora (the Python trainer
// in trainer/, fed Arrow on its stdin). Run is the entry point.
package train

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/distillery/distillery"
	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/students/linear"
	"github.com/distillery/distillery/students/probe"
)

// Options configure a training run.
type Options struct {
	Filter *filters.Filter `yaml:"-"`
	// Backend is linear (default), lora or embed.
	Backend string `yaml:"backend"`
	// Labels and Splits pin the snapshots trained on (zero: current).
	Labels, Splits lake.Ref      `yaml:"-"`
	Combine        string        `yaml:"combine"`
	Linear         linear.Config `yaml:"linear"`
	// SelectBy is the validation metric that picks the linear penalty and
	// the lora epoch: mae (default), recall@K or ndcg@K (see ParseSelectBy).
	SelectBy string `yaml:"select_by"`
	// SampleWeight weighs the training rows in the loss: none (default),
	// score:S or tier (see ParseSampleWeight); validation is never weighted.
	SampleWeight string `yaml:"sample_weight"`
	// LoRA's settings sit beside backend in pipeline.yaml's student section.
	LoRA LoRAOptions `yaml:",inline"`
	// EmbedModel is the embed backend's encoder: hashed (the default) or a
	// sentence encoder's folder (e.g. all-MiniLM-L6-v2's), run by
	// LoRA.Python; the model keeps a reference to the folder.
	EmbedModel string       `yaml:"embed_model"`
	Embed      probe.Config `yaml:"embed"`
	// Encoder is the embed backend's encoder when the caller has it (cv
	// resolves one for every fold); nil: Run resolves it (EmbedEncoderFor).
	Encoder *Frozen `yaml:"-"`
	// Calibrate fits isotonic maps on the validation predictions (nil:
	// true); false is --no-calibrate, pipeline.yaml's calibrate: false.
	Calibrate *bool `yaml:"calibrate"`
	// MinTrain is the fewest training articles it trains on (0: MinTrain);
	// the conformance suite's two-article lakes lower it.
	MinTrain int64 `yaml:"-"`
	// Progress, when set, gets the trainer's progress.
	Progress func(Progress) `yaml:"-"`
	// Waiting, when set, gets the line saying that another train run holds
	// the models table (nil: the line goes to standard error).
	Waiting func(msg string) `yaml:"-"`

	selectBy     SelectBy     // SelectBy parsed by Validate
	sampleWeight SampleWeight // SampleWeight parsed by Validate
}

// Progress is one step of a training run.
type Progress struct {
	Epoch, Step, Steps int
	Loss, ValMAE       float64
	Message            string
}

// Validate fills defaults and checks the options.
func (o *Options) Validate() error {
	if o.Filter == nil {
		return errors.New("train: no filter")
	}
	if o.Backend == "" {
		o.Backend = "linear"
	}
	if o.Combine == "" {
		o.Combine = o.Filter.Splits.Combine
	}
	by, err := ParseSelectBy(o.SelectBy)
	if err != nil {
		return err
	}
	o.selectBy, o.SelectBy = by, by.String()
	sw, err := ParseSampleWeight(o.SampleWeight)
	if err != nil {
		return err
	}
	o.sampleWeight, o.SampleWeight = sw, sw.String()
	switch o.Backend {
	case "linear":
		if o.Linear.Bits == 0 {
			o.Linear = linear.DefaultConfig()
		}
	case "lora":
		if err := o.LoRA.check(); err != nil {
			return err
		}
		o.LoRA.defaults()
	case "embed":
		if err := o.embedDefaults(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("backend %q: want linear, lora or embed", o.Backend)
	}
	return curate.CheckCombine(o.Combine)
}

// Result is the trained model. RowsIn is the examples it was trained and
// validated on, RowsOut the model row written (1).
type Result struct {
	spec.Summary
	Model  *Model `json:"model"`
	Labels string `json:"labels"`
	Splits string `json:"splits"`
	// Calibration is what calibrating the model did (Skipped says why not).
	Calibration *Calibration `json:"calibration"`
}

// MinTrain is the fewest training articles train fits a student on: below
// it every figure is noise, and a student learns nothing but the mean.
const MinTrain = 10

// NewID makes a model id: backend, UTC time, 4 random hex digits.
func NewID(backend string) string {
	var b [2]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%s-%s", backend, time.Now().UTC().Format("20060102-150405"), hex.EncodeToString(b[:]))
}

// Run trains the model and records it.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	// Every run adds its own model id, so two at once cannot clash on the
	// key; they still take turns, as every writer of a table does, so a
	// model row never appears between another run's read and its commit.
	lock, err := spec.Train.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	set, err := curate.DefineExamples(ctx, sess, f, opts.Labels, opts.Splits, opts.Combine)
	if err != nil {
		return nil, err
	}
	if opts.MinTrain == 0 {
		opts.MinTrain = MinTrain
	}
	if n := set.Counts["train"]; n < max(opts.MinTrain, 1) {
		return nil, &curate.EmptySplitError{Splits: set.Splits.Ref().String(), Split: "train", Counts: set.Counts, Min: opts.MinTrain,
			Other: "or, to evaluate a model trained elsewhere on a test-only split, skip train; with few labels, `distill cv` uses every one"}
	}

	if opts.Backend == "embed" && opts.Encoder == nil {
		if opts.Encoder, err = EmbedEncoderFor(ctx, l, sess, opts); err != nil {
			return nil, err
		}
		defer opts.Encoder.Close()
	}
	mixed, err := curate.MixedWarning(ctx, sess, "the training articles", "(SELECT id FROM examples WHERE split = 'train')")
	if err != nil {
		return nil, err
	}
	m := &Model{ID: NewID(opts.Backend), Backend: opts.Backend, Dimensions: set.Dimensions}
	m.Artifact = filepath.Join("models", f.Namespace(), m.ID)
	dir := m.Dir(l)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	const examples = "SELECT split, id, text, labels, overall, " + Relevant +
		" FROM examples WHERE split = 'val' OR (split = 'train' AND NOT balanced_out) ORDER BY split, id"
	notes, err := fit(ctx, sess, examples, opts, m, dir)
	if v := set.Counts["val"]; v < MinTrain {
		notes = append(notes, fmt.Sprintf("the penalty (linear) or epoch (lora) was chosen on %s: a choice this small is noise; give val a larger share, or compare settings with `distill cv`, which uses every labeled article",
			human.Plural(v, "validation article")))
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cal, err := calibrateModel(ctx, sess, opts, m, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("calibrate %s: %w", m.ID, err)
	}
	if cal.Skipped != "" && opts.calibrate() {
		notes = append(notes, "no calibration: "+cal.Skipped)
	}
	var base sql.NullFloat64
	if err := sess.QueryRow(ctx, distillery.SQL("students/baseline_mae"), &base); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	m.BaseMAE = base.Float64
	// The package travels with the model: score and model export use
	// this copy, whatever the filter's folder holds later.
	if err := f.CopyTo(filepath.Join(dir, filters.StoredDir)); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	m.Seconds = time.Since(start).Seconds()
	meta, _ := json.MarshalIndent(map[string]any{"model": m, "filter": f.Ref(), "labels": set.Labels.Ref().String(),
		"splits": set.Splits.Ref().String(), "compressed": set.Compressed.Ref().String()}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "distill_run.json"), meta, 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// Made only now, with a row to commit: a run that failed before leaves
	// no empty table behind.
	if err := spec.Models.Ensure(ctx, l, f); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	pending, err := l.WriteRows(ctx, spec.Models.For(f), func(rb *lake.RowBuilder) error {
		rb.String("id", m.ID)
		rb.String("backend", m.Backend)
		if m.BaseModel != "" {
			rb.String("base_model", m.BaseModel)
		}
		rb.String("params", m.Params)
		rb.Strings("dimensions", m.Dimensions)
		rb.Long("labels_sequence", set.Labels.Seq)
		rb.Long("splits_sequence", set.Splits.Seq)
		rb.Long("splits_snapshot_id", set.Splits.ID)
		rb.Long("compressed_sequence", set.Compressed.Seq)
		rb.String("filter_sha256", f.SHA256)
		rb.String("artifact", m.Artifact)
		rb.Long("train_rows", m.TrainRows)
		rb.Long("val_rows", m.ValRows)
		if m.ValRows > 0 {
			rb.Double("val_mae", m.ValMAE)
			rb.Doubles("val_mae_per_dimension", m.ValMAEDims)
			rb.Double("baseline_val_mae", m.BaseMAE)
		}
		rb.Double("seconds", m.Seconds)
		rb.Time("trained_at", time.Now())
		rb.String("run_id", l.RunID)
		writeCalibration(rb, cal)
		rb.EndRow()
		return nil
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	snap, err := pending.Commit(ctx, lake.Commit{Stage: spec.Train.Name, Inputs: set.Inputs(), Filter: f.Ref(),
		Params: map[string]any{"model": m.ID, "backend": m.Backend, "combine": opts.Combine, "calibration": cal.param()}})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	res := &Result{Summary: spec.Start(spec.Train, l.RunID), Model: m, Labels: set.Labels.Ref().String(), Splits: set.Splits.Ref().String(), Calibration: cal}
	res.Mode = m.Backend
	res.Warnings = append(res.Warnings, notes...)
	if mixed != "" {
		res.Warnings = append(res.Warnings, mixed)
	}
	res.RowsIn, res.RowsOut = m.TrainRows+m.ValRows, pending.Rows()
	res.SetInputs(set.Inputs()...)
	res.Finish(spec.Models.For(f), snap, start)
	return res, nil
}

// linearExamples is what a linear fit reads from the lake: the training
// and validation examples, and what a ranking --select-by scores the
// validation predictions against.
type linearExamples struct {
	train, val []linear.Example
	vs         *valSet
}

// readLinear reads the rows of query (see Fit) as linear examples.
func readLinear(ctx context.Context, sess *lake.Session, query string, opts Options, dims []string) (*linearExamples, error) {
	rows, err := sess.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ex := &linearExamples{vs: &valSet{by: opts.selectBy, f: opts.Filter, dims: dims}}
	var trainOverall []float64
	for rows.Next() {
		var split, id, text string
		var labels []any
		var overall float64
		var relevant bool
		if err := rows.Scan(&split, &id, &text, &labels, &overall, &relevant); err != nil {
			return nil, err
		}
		e := linear.Example{Text: text, Labels: make([]float64, len(labels))}
		for i, v := range labels {
			x, ok := v.(float64)
			if !ok {
				return nil, fmt.Errorf("article %s: label %d is %v, not a number", id, i, v)
			}
			e.Labels[i] = x
		}
		if split == "train" {
			ex.train = append(ex.train, e)
			trainOverall = append(trainOverall, overall)
		} else {
			ex.val = append(ex.val, e)
			ex.vs.oracle, ex.vs.relevant = append(ex.vs.oracle, overall), append(ex.vs.relevant, relevant)
		}
	}
	for i, w := range opts.sampleWeight.Weights(opts.Filter, trainOverall) {
		ex.train[i].Weight = w
	}
	return ex, rows.Err()
}

// trainLinear fits the linear student on the rows of query into dir.
func trainLinear(ctx context.Context, sess *lake.Session, query string, opts Options, m *Model, dir string, notes *[]string) error {
	ex, err := readLinear(ctx, sess, query, opts, m.Dimensions)
	if err != nil {
		return err
	}
	return fitLinear(ex, opts, m, dir, notes)
}

// fitLinear fits the linear student on ex and saves it in dir; it reads
// nothing from the lake.
func fitLinear(ex *linearExamples, opts Options, m *Model, dir string, notes *[]string) error {
	train, val, vs := ex.train, ex.val, ex.vs
	if opts.Progress != nil {
		opts.Progress(Progress{Message: fmt.Sprintf("fitting %s on %s", human.Plural(int64(len(m.Dimensions)), "ridge regression"), human.Plural(int64(len(train)), "example"))})
	}
	var sel linear.Selector
	if opts.selectBy.Ranking() {
		sel = vs.score
		*notes = append(*notes, vs.degenerate()...)
	}
	model, rep, err := linear.TrainSelect(train, val, m.Dimensions, opts.Linear, sel)
	if err != nil {
		return err
	}
	if err := model.Save(filepath.Join(dir, "model.gob")); err != nil {
		return err
	}
	m.TrainRows, m.ValRows = int64(rep.TrainRows), int64(rep.ValRows)
	*notes = append(*notes, rep.Widened...)
	if rep.ValMAE != nil {
		m.ValMAEDims = rep.ValMAE
		m.ValMAE = mean(rep.ValMAE)
	}
	params := map[string]any{"bits": opts.Linear.Bits, "ngrams": opts.Linear.NGrams, "min_df": opts.Linear.MinDF,
		"lambdas": opts.Linear.Lambdas, "max_iter": opts.Linear.MaxIter, "chosen_lambda": model.Lambda, "features": rep.Features, "iterations": rep.Iterations, "sample_weight": opts.sampleWeight.String()}
	m.Params = selectParams(params, opts.selectBy, len(val) > 0, m.ValMAE, rep.Selected)
	return nil
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
