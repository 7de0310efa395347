// Package predict scores articles with a trained student and writes
// <filter>.predictions: one row per (article, model) with a score per
// dimension and the overall score and tier computed from filter.yaml, as
// for the oracle's labels. linear and embed predict in Go; lora through the
// Python trainer, streaming Arrow both ways. Run is the entry point.
package predict

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/linear"
	"github.com/distillery/distillery/students/lora"
)

// Options say what to predict with which model.
type Options struct {
	Filter *filters.Filter `yaml:"-"`
	// Model is the id of a row of <filter>.models.
	Model string `yaml:"-"`
	// Split is test (default), val, train, or all (every article of Table).
	Split string `yaml:"split"`
	// Table holds the texts (id, text); default <filter>.compressed.
	Table lake.Ref `yaml:"-"`
	// Splits pins the split read (zero: current).
	Splits lake.Ref `yaml:"-"`
	// Full predicts again articles this model already has predictions for.
	Full bool `yaml:"full"`
	// Workers for the linear backend (default: every core).
	Workers int `yaml:"workers"`
	// LoRA batch size and device.
	BatchSize int    `yaml:"batch_size"`
	Device    string `yaml:"device"`
	// Quantize loads a lora model's base in 4bit, 8bit or none; empty (or
	// auto): as the model was trained.
	Quantize string `yaml:"quantize"`
	// Python runs the lora trainer; default $DISTILL_PYTHON, else the one
	// the model was trained with (see lora.Python).
	Python string `yaml:"python"`
	// Waiting, when set, gets the line saying that another predict run
	// holds the table (nil: the line goes to standard error).
	Waiting func(msg string) `yaml:"-"`
}

// Validate fills defaults and checks the options.
func (o *Options) Validate() error {
	if o.Filter == nil || o.Model == "" {
		return errors.New("predict needs a filter and a model id")
	}
	if o.Split == "" {
		o.Split = "test"
	}
	switch o.Split {
	case "train", "val", "test", "all":
	default:
		return fmt.Errorf("split %q: want train, val, test or all", o.Split)
	}
	if o.Table.Table == "" {
		o.Table = lake.Ref{TableName: spec.Compressed.For(o.Filter)}
	}
	if o.Splits.Table == "" {
		o.Splits = lake.Ref{TableName: spec.Splits.For(o.Filter)}
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	return CheckQuantize(o.Quantize)
}

// CheckQuantize refuses a --quantize the trainer's predict would not take:
// empty or auto (as the model was trained), none, 4bit or 8bit.
func CheckQuantize(q string) error {
	if q == "" || q == "auto" || slices.Contains(lora.Quantizations, q) {
		return nil
	}
	return fmt.Errorf("quantize %q: want auto (as the model was trained) or one of %s", q, strings.Join(lora.Quantizations, ", "))
}

// ErrNotQuantized means --quantize named a model that has no base model to
// quantize (linear, embed).
var ErrNotQuantized = errors.New("only a lora model's base model is quantized")

// QuantizeFor is how model m's base is loaded when told q: as it trained
// for "" or auto, else q. 4bit or 8bit for a model that is not lora is
// refused rather than ignored: only a lora model has a base to quantize
// (none is true of it already). "" for such models.
func QuantizeFor(m *students.Model, q string) (string, error) {
	if err := CheckQuantize(q); err != nil {
		return "", err
	}
	if m.Backend != "lora" {
		if Quantizes(q) {
			return "", fmt.Errorf("--quantize %s: model %s is a %s model: %w (leave --quantize out)", q, m.ID, m.Backend, ErrNotQuantized)
		}
		return "", nil
	}
	if q != "" && q != "auto" {
		return q, nil
	}
	return m.Quantize(), nil
}

// Quantizes says whether q asks for a quantized base (4bit, 8bit).
func Quantizes(q string) bool { return q != "none" && slices.Contains(lora.Quantizations, q) }

// params are a commit's parameters for predictions of model m: the model,
// its backend and, for a lora model, how its base was loaded (so rows
// predicted with --quantize overriding the trained one say so through
// their run_id), with the stage's own.
func params(m *students.Model, quantize string, own map[string]any) map[string]any {
	p := map[string]any{"model": m.ID, "backend": m.Backend}
	if m.Backend == "lora" {
		p["quantize"] = quantize
	}
	maps.Copy(p, own)
	return p
}

// Result summarises a prediction run. RowsIn is the articles of the split
// read, RowsOut the predictions written (Predicted).
type Result struct {
	spec.Summary
	Model        string  `json:"model"`
	Backend      string  `json:"backend"`
	Input        string  `json:"input"`
	Split        string  `json:"split"`
	Predicted    int64   `json:"predicted"`
	Already      int64   `json:"already_predicted"`
	ArticlesPerS float64 `json:"articles_per_second"`
	// Python is the interpreter that ran a lora model ("" for linear).
	Python string `json:"python,omitempty"`
	// Quantize is how a lora model's base was loaded: 4bit, 8bit or none
	// ("" for other models).
	Quantize string `json:"quantize,omitempty"`
	// Calibration is the one applied to the scores (see
	// students/calibrate), "" for none.
	Calibration   string  `json:"calibration,omitempty"`
	PredictSecond float64 `json:"-"`
}

// scored is one article's prediction.
type scored struct {
	id, split string
	scores    []float64
}

// Run predicts and commits one snapshot.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	m, err := students.Find(ctx, l, f, opts.Model)
	if err != nil {
		return nil, err
	}
	quantize, err := QuantizeFor(m, opts.Quantize)
	if err != nil {
		return nil, err
	}
	if m.Backend == "lora" {
		// The trainer loads what the commit records.
		opts.Python, opts.Quantize = lora.Python(opts.Python, m.Python()), quantize
	}
	if len(m.Dimensions) != len(f.Dimensions) {
		return nil, fmt.Errorf("model %s predicts %v; the filter has %v", m.ID, m.Dimensions, f.DimensionNames())
	}
	out := spec.Predictions.For(f)
	if err := spec.Predictions.Ensure(ctx, l, f); err != nil {
		return nil, err
	}
	// One run at a time per table, from reading what this model predicted
	// to the commit: (id, model) is the key.
	lock, err := spec.Predict.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	textRel, textSnap, err := sess.Relation(ctx, opts.Table)
	if err != nil {
		return nil, err
	}
	if textSnap == nil {
		return nil, fmt.Errorf("%s has no snapshot", opts.Table)
	}
	res := &Result{Summary: spec.Start(spec.Predict, l.RunID), Model: m.ID, Backend: m.Backend, Input: textSnap.Ref().String(), Split: opts.Split, Quantize: quantize}
	if m.Backend == "lora" {
		res.Python = opts.Python
	}
	res.Mode = "incremental"
	if opts.Full {
		res.Mode = "full"
	}
	inputs := []lake.Snapshot{*textSnap}
	splitsRel, splitsSnap, err := sess.Relation(ctx, opts.Splits)
	if err != nil && !errors.Is(err, lake.ErrNoTable) {
		return nil, err
	}
	splitCol := "NULL::VARCHAR"
	from := textRel + " t"
	where := []string{"true"}
	if splitsSnap != nil {
		inputs = append(inputs, *splitsSnap)
		from += " LEFT JOIN " + splitsRel + " s ON s.id = t.id"
		splitCol = "s.split"
	}
	if opts.Split != "all" {
		if splitsSnap == nil {
			return nil, spec.Need(spec.Splits, f.Namespace(), curate.ErrNoSplits.Error(), curate.ErrNoSplits)
		}
		where = append(where, "s.split = getvariable('predict_split')")
		counts, err := curate.SplitCounts(ctx, sess, splitsRel)
		if err != nil {
			return nil, err
		}
		if counts[opts.Split] == 0 {
			return nil, &curate.EmptySplitError{Splits: splitsSnap.Ref().String(), Split: opts.Split, Counts: counts,
				Other: "or predict another split (--split train|val|test|all)"}
		}
	}
	// Variables, not parameters: the LoRA backend streams the query through
	// WriteArrowStream, which binds none.
	if err := sess.SetVariables(ctx, lake.Vars{"predict_split": opts.Split, "predict_model": m.ID}); err != nil {
		return nil, err
	}
	predRel, predSnap, err := sess.Relation(ctx, lake.Ref{TableName: out})
	if err != nil {
		return nil, err
	}
	if predSnap != nil && !opts.Full {
		done := "SELECT id FROM " + predRel + " WHERE model = getvariable('predict_model')"
		cond := "t.id NOT IN (" + done + ")"
		q := "SELECT count(*) FROM " + from + " WHERE " + strings.Join(where, " AND ") + " AND NOT (" + cond + ")"
		if err := sess.QueryRow(ctx, q, &res.Already); err != nil {
			return nil, err
		}
		where = append(where, cond)
	}
	cal, calName, err := modelCalibration(ctx, sess, l, f, m)
	if err != nil {
		return nil, err
	}
	res.Calibration = calName
	query := "SELECT t.id, t.text, " + splitCol + " AS split FROM " + from + " WHERE " + strings.Join(where, " AND ") + " ORDER BY t.id"

	t0 := time.Now()
	now := time.Now()
	pending, err := l.WriteRows(ctx, out, func(rb *lake.RowBuilder) error {
		emit := func(s scored) {
			rb.String("id", s.id)
			rb.String("model", m.ID)
			EmitScores(rb, f, m, cal, res.Calibration, s.scores)
			if s.split != "" {
				rb.String("split", s.split)
			}
			rb.Time("predicted_at", now)
			rb.String("run_id", l.RunID)
			rb.EndRow()
			res.Predicted++
		}
		switch m.Backend {
		case "linear":
			return predictLinear(ctx, sess, query, m, l, opts.Workers, emit, rb)
		case "lora":
			return predictLoRA(ctx, sess, query, m, l, opts, emit)
		case "embed":
			return predictEmbed(ctx, sess, query, m, l, opts.Python, emit, rb)
		}
		return fmt.Errorf("model %s: unknown backend %q", m.ID, m.Backend)
	})
	if err != nil {
		return nil, err
	}
	res.PredictSecond = time.Since(t0).Seconds()
	snap, err := pending.Commit(ctx, lake.Commit{Stage: spec.Predict.Name, Inputs: inputs, Filter: f.Ref(),
		Params: params(m, quantize, map[string]any{"split": opts.Split, "full": opts.Full, "calibration": res.Calibration})})
	if err != nil {
		return nil, err
	}
	res.RowsIn, res.RowsOut = res.Predicted+res.Already, res.Predicted
	res.SetInputs(inputs...)
	res.Finish(out, snap, start)
	if res.PredictSecond > 0 {
		res.ArticlesPerS = float64(res.Predicted) / res.PredictSecond
	}
	return res, nil
}

// predictLinear scores texts on every core; rows reach the writer in any order.
func predictLinear(ctx context.Context, sess *lake.Session, query string, m *students.Model, l *lake.Lake, workers int, emit func(scored), rb *lake.RowBuilder) error {
	model, err := linear.Load(m.Dir(l) + "/model.gob")
	if err != nil {
		return err
	}
	rows, err := sess.Query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	type job struct{ id, text, split string }
	jobs := make(chan job, 256)
	results := make(chan scored, 256)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := model.NewPredictor()
			for j := range jobs {
				results <- scored{id: j.id, split: j.split, scores: p.Predict(j.text)}
			}
		}()
	}
	var readErr error
	go func() {
		defer close(jobs)
		for rows.Next() {
			var j job
			var split sql.NullString
			if readErr = rows.Scan(&j.id, &j.text, &split); readErr != nil {
				return
			}
			j.split = split.String
			select {
			case jobs <- j:
			case <-ctx.Done():
				readErr = ctx.Err()
				return
			}
		}
		readErr = rows.Err()
	}()
	go func() { wg.Wait(); close(results) }()
	for r := range results {
		if rb == nil || !rb.Stopped() { // nil: Score, no table written
			emit(r)
		}
	}
	return readErr
}
