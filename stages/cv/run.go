// Package cv cross-validates a student: the filter's labeled articles are
// dealt into K folds, stratified as split stratifies and never splitting a
// duplicate group; each fold's model trains on the other folds (one of them
// held back to choose its penalty or epoch) and predicts the fold it left
// out. The out-of-fold predictions go to <filter>.predictions under the
// run's own model id (cv-...), every article predicted once; the metrics of
// each fold, and their mean and spread over the folds, go to
// <filter>.evaluations. The fold models are never kept. Run is the stage.
package cv

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/distillery/distillery"
	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/calibrate"
)

// Fold is one fold's share of the run.
type Fold struct {
	Fold int `json:"fold"`
	// Articles is the fold's size: the articles its model predicted.
	Articles int `json:"articles"`
	// Train and Val are the articles the fold model trained and chose on.
	Train   int64   `json:"train"`
	Val     int64   `json:"val"`
	Seconds float64 `json:"seconds"`
	// Iterations is the linear solver's conjugate-gradient iterations over
	// every penalty tried (0 for lora).
	Iterations int `json:"iterations,omitempty"`
	// Notes are what training said besides its figures (e.g. a widened grid).
	Notes []string `json:"notes,omitempty"`
}

// Result is a cross-validation run. RowsIn is the articles dealt, RowsOut
// the predictions written.
type Result struct {
	spec.Summary
	// Model is the id the out-of-fold predictions carry.
	Model   string `json:"model"`
	Backend string `json:"backend"`
	Seed    int    `json:"seed"`
	Labels  string `json:"labels"`
	Splits  string `json:"splits"`
	Folds   []Fold `json:"folds"`
	// Predictions and Evaluations are the snapshots written.
	Predictions string `json:"predictions"`
	Evaluations string `json:"evaluations"`
	// Metrics are each fold's figures, as eval reports a model's (split
	// fold<k>); Pooled their mean and spread, raw first.
	Metrics []evaluate.Model `json:"fold_metrics"`
	Pooled  []Pooled         `json:"pooled"`
	// NoiseFloor is the oracle's own self-MAE and its MAE against another
	// oracle, where the labels have repeats or a second oracle (nil: none).
	NoiseFloor *curate.Floor `json:"noise_floor,omitempty"`
}

// Pooled is the folds' figures pooled (every dimension's scores), raw or
// calibrated: the mean over the folds and its sample standard deviation.
type Pooled struct {
	Calibrated        bool     `json:"calibrated"`
	MAE               float64  `json:"mae"`
	MAESD             float64  `json:"mae_sd"`
	BaselineMAE       float64  `json:"baseline_mae"`
	MedianBaselineMAE float64  `json:"median_baseline_mae"`
	RecallAtK         *float64 `json:"recall_at_k"`
	RecallAtKSD       *float64 `json:"recall_at_k_sd"`
}

// oof is one article's out-of-fold prediction.
type oof struct {
	fold   int
	split  string
	scores []float64 // raw
	cal    *calibrate.Calibration
	name   string // the calibration's name ("" for none)
}

// Run cross-validates and commits the out-of-fold predictions, then the
// evaluations.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	lock, err := spec.CV.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	set, err := curate.DefineExamples(ctx, sess, f, opts.Labels, opts.Splits, opts.Student.Combine)
	if err != nil {
		return nil, err
	}
	res := &Result{Summary: spec.Start(spec.CV, l.RunID), Model: train.NewID("cv-" + opts.Student.Backend),
		Backend: opts.Student.Backend, Seed: opts.Seed, Labels: set.Labels.Ref().String(), Splits: set.Splits.Ref().String()}
	res.Mode = opts.Student.Backend
	if opts.Student.Backend == "embed" && opts.Student.Encoder == nil {
		// One encoder for every fold: fitted (when the filter has no
		// embeddings) on every compressed text, unsupervised, so no fold
		// learns from another's labels through it; a sentence encoder
		// (--embed-model FOLDER) is started once.
		if opts.Student.Encoder, err = train.EmbedEncoderFor(ctx, l, sess, opts.Student); err != nil {
			return nil, err
		}
		defer opts.Student.Encoder.Close()
	}
	folds, err := dealFolds(ctx, sess, opts, set)
	if err != nil {
		return nil, err
	}
	res.RowsIn = int64(len(folds))
	dir := filepath.Join(l.Root, "models", f.Namespace(), res.Model)
	defer os.RemoveAll(dir)
	r := &foldRun{l: l, sess: sess, opts: opts, dims: set.Dimensions, dir: dir, preds: map[string]oof{}}
	if res.Folds, err = r.all(ctx); err != nil {
		return nil, err
	}
	preds := r.preds
	if w := widenedNote(res.Folds); w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	snap, err := writePredictions(ctx, l, opts, set, res, preds)
	if err != nil {
		return nil, err
	}
	res.Predictions = snap.Ref().String()
	evals, err := evaluateFolds(ctx, l, opts, set, snap, res)
	if err != nil {
		return nil, fmt.Errorf("evaluate the folds (the out-of-fold predictions are in %s): %w", res.Predictions, err)
	}
	res.Evaluations = evals.Ref().String()
	if res.NoiseFloor, err = curate.NoiseFloor(ctx, l, sess, f, set.Labels.Ref(), opts.Student.Combine); err != nil {
		return nil, err
	}
	res.SetInputs(set.Inputs()...)
	res.Finish(spec.Predictions.For(f), snap, start)
	return res, nil
}

// evaluateFolds scores the out-of-fold predictions fold by fold (every
// metric eval has, against each fold's own training mean and median) and
// pooled over the folds, and commits the rows to <filter>.evaluations, in
// a session of its own that reads the predictions just written.
func evaluateFolds(ctx context.Context, l *lake.Lake, opts Options, set *curate.ExampleSet, preds *lake.Snapshot, res *Result) (*lake.Snapshot, error) {
	f := opts.Filter
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	if _, err := curate.Prepare(ctx, sess, f, set.Labels.Ref(), opts.Student.Combine); err != nil {
		return nil, err
	}
	rel, _, err := sess.Relation(ctx, preds.Ref())
	if err != nil {
		return nil, err
	}
	if rel, err = curate.PredictionsRelation(ctx, sess, rel, preds.Ref().String(), f.DimensionNames()); err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "predictions_input", rel); err != nil {
		return nil, err
	}
	err = sess.ExecAll(ctx, "CREATE OR REPLACE TEMP TABLE cv_folds AS SELECT id, fold FROM predictions_input WHERE model = '"+res.Model+"'")
	if err != nil {
		return nil, err
	}
	res.Metrics, err = evaluate.ScoreFolds(ctx, sess, evaluate.FoldInputs{Filter: f, Model: res.Model, Folds: opts.Folds, Combine: opts.Student.Combine,
		PredictionsSeq: preds.Seq, LabelsSeq: set.Labels.Seq, SplitsSeq: set.Splits.Seq, RunID: l.RunID})
	if err != nil {
		return nil, err
	}
	if err := spec.Evaluations.Ensure(ctx, l, f); err != nil {
		return nil, err
	}
	lock, err := spec.Eval.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	pending, err := sess.WriteQuery(ctx, spec.Evaluations.For(f), distillery.SQL("cv/evaluations"))
	if err != nil {
		return nil, err
	}
	if err := sess.EachFile(ctx, "cv/pooled_summary", nil, func(rows *sql.Rows) error {
		var p Pooled
		var sd, base, med, rec, recSD sql.NullFloat64
		if err := rows.Scan(&p.Calibrated, &p.MAE, &sd, &base, &med, &rec, &recSD); err != nil {
			return err
		}
		p.MAESD, p.BaselineMAE, p.MedianBaselineMAE, p.RecallAtK, p.RecallAtKSD = sd.Float64, base.Float64, med.Float64, ptr(rec), ptr(recSD)
		res.Pooled = append(res.Pooled, p)
		return nil
	}); err != nil {
		return nil, err
	}
	inputs := append(set.Inputs(), *preds)
	return pending.Commit(ctx, lake.Commit{Stage: spec.CV.Name, Inputs: inputs, Filter: f.Ref(),
		Params: map[string]any{"model": res.Model, "folds": opts.Folds, "seed": opts.Seed, "combine": opts.Student.Combine}})
}

func ptr(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.Float64
}

// dealFolds deals the examples' duplicate groups into folds and defines
// cv_folds (id, fold) in sess.
func dealFolds(ctx context.Context, sess *lake.Session, opts Options, set *curate.ExampleSet) (map[string]int, error) {
	var groups []group
	err := sess.EachFile(ctx, "cv/groups", lake.Params{"seed": int64(opts.Seed)}, func(rows *sql.Rows) error {
		var dup, stratum string
		var size int64
		var ids []any
		if err := rows.Scan(&dup, &stratum, &size, &ids); err != nil {
			return err
		}
		g := group{stratum: stratum}
		for _, id := range ids {
			g.ids = append(g.ids, id.(string))
		}
		groups = append(groups, g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	n := 0
	for _, g := range groups {
		n += len(g.ids)
	}
	if len(groups) < opts.Folds {
		return nil, fmt.Errorf("%s (%s) have %s: cross-validation with %d folds needs at least %d; label more, or use --folds %d",
			human.Plural(int64(n), "labeled article"), set.Splits.Ref(), human.Plural(int64(len(groups)), "duplicate group"),
			opts.Folds, opts.Folds, max(3, len(groups)))
	}
	folds := deal(groups, opts.Folds)
	type row struct {
		ID   string `json:"id"`
		Fold int    `json:"fold"`
	}
	rows := make([]row, 0, len(folds))
	for id, k := range folds {
		rows = append(rows, row{id, k})
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(a.ID, b.ID) })
	if err := sess.SetVariables(ctx, lake.Vars{"cv_folds": lake.JSONAs{Value: rows, Type: "STRUCT(id VARCHAR, fold INTEGER)[]"}}); err != nil {
		return nil, err
	}
	if err := sess.ExecAll(ctx, "CREATE OR REPLACE TEMP TABLE cv_folds AS SELECT unnest(getvariable('cv_folds'), recursive := true)"); err != nil {
		return nil, err
	}
	return folds, nil
}

// The fold model of fold k trains on every fold but k and k's successor
// (its validation fold), then predicts fold k.
const (
	foldExamples = `SELECT CASE WHEN f.fold = getvariable('cv_val') THEN 'val' ELSE 'train' END AS split, e.id, e.text, e.labels, e.overall,
       ` + train.Relevant + `
FROM examples e JOIN cv_folds f USING (id)
WHERE f.fold <> getvariable('cv_fold')
ORDER BY split, e.id`
	foldTexts = `SELECT e.id, e.text, e.split FROM examples e JOIN cv_folds f USING (id)
WHERE f.fold = getvariable('cv_fold') ORDER BY e.id`
	valTexts = `SELECT e.id, e.text, e.split FROM examples e JOIN cv_folds f USING (id)
WHERE f.fold = getvariable('cv_val') ORDER BY e.id`
)

// foldRun is what every fold of a run shares.
type foldRun struct {
	l     *lake.Lake
	sess  *lake.Session
	opts  Options
	dims  []string
	dir   string
	mu    sync.Mutex     // held by whatever uses sess, and to add to preds
	preds map[string]oof // every fold's predictions, by article
	// labels are every example's oracle scores by id, read by the first
	// fold that calibrates.
	labels map[string][]float64
}

// all runs every fold and returns them in order. Linear and embed folds
// fit two at a time: a fold's solver leaves a core idle in its serial steps (a third of
// its wall time on 2 cores), which the other fold's fit fills. What uses
// the session (reading a fold's examples, calibrating, predicting) takes
// turns under mu; only fitting overlaps, and each fold's figures are the
// same as one at a time. LoRA folds run one by one: they share one GPU.
func (r *foldRun) all(ctx context.Context) ([]Fold, error) {
	workers := 1
	if inGo(r.opts.Student.Backend) {
		workers = min(2, runtime.GOMAXPROCS(0))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	folds := make([]Fold, r.opts.Folds)
	var first error
	var errOnce sync.Once
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				fr, err := r.fold(ctx, k)
				if err != nil {
					errOnce.Do(func() { first = fmt.Errorf("fold %d of %d: %w", k, r.opts.Folds, err) })
					cancel()
					continue
				}
				folds[k-1] = *fr
			}
		}()
	}
feed:
	for k := 1; k <= r.opts.Folds; k++ {
		select {
		case next <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return folds, first
}

// fold trains fold k's model in dir/fold<k> on every fold but k and its
// successor, chooses on the successor, and adds its predictions of fold k
// to preds.
func (r *foldRun) fold(ctx context.Context, k int) (*Fold, error) {
	t0 := time.Now()
	opts := r.opts
	fdir := filepath.Join(r.dir, fmt.Sprintf("fold%d", k))
	if err := os.MkdirAll(fdir, 0o755); err != nil {
		return nil, err
	}
	var m *train.Model
	var notes []string
	if inGo(opts.Student.Backend) {
		var ex *train.Examples
		err := r.locked(ctx, k, true, func() (err error) {
			ex, err = train.Read(ctx, r.sess, foldExamples, opts.Student, r.dims)
			return err
		})
		if err != nil {
			return nil, err
		}
		if m, notes, err = train.FitExamples(ex, opts.Student, fdir); err != nil {
			return nil, err
		}
	}
	fr := &Fold{Fold: k}
	err := r.locked(ctx, k, m == nil, func() (err error) {
		if m == nil {
			if m, notes, err = train.Fit(ctx, r.sess, foldExamples, opts.Student, r.dims, fdir); err != nil {
				return err
			}
		}
		return r.finish(ctx, m, notes, fdir, fr)
	})
	if err != nil {
		return nil, err
	}
	fr.Seconds = time.Since(t0).Seconds()
	return fr, nil
}

// inGo is whether a backend fits in Go, from examples train.Read reads.
func inGo(backend string) bool { return backend == "linear" || backend == "embed" }

// locked runs fn holding mu, with the session's variables set for fold k,
// and says what the fold does when say is set.
func (r *foldRun) locked(ctx context.Context, k int, say bool, fn func() error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	val := k%r.opts.Folds + 1
	if err := r.sess.SetVariables(ctx, lake.Vars{"cv_fold": int64(k), "cv_val": int64(val)}); err != nil {
		return err
	}
	if say && r.opts.Progress != nil {
		r.opts.Progress(fmt.Sprintf("fold %d of %d: training on the other folds, choosing on fold %d", k, r.opts.Folds, val))
	}
	return fn()
}

// finish records fold fr's model m (trained into fdir), calibrates it on
// its validation fold and predicts its fold into preds; mu is held.
func (r *foldRun) finish(ctx context.Context, m *train.Model, notes []string, fdir string, fr *Fold) error {
	rel, err := filepath.Rel(r.l.Root, fdir)
	if err != nil {
		return err
	}
	m.Artifact = rel
	fr.Train, fr.Val = m.TrainRows, m.ValRows
	var params struct {
		Iterations int `json:"iterations"`
	}
	if json.Unmarshal([]byte(m.Params), &params) == nil {
		fr.Iterations = params.Iterations
	}
	for _, n := range notes {
		fr.Notes = append(fr.Notes, fmt.Sprintf("fold %d: %s", fr.Fold, n))
	}
	cal, name, err := r.calibrate(ctx, m, fdir, fr)
	if err != nil {
		return err
	}
	return predict.Score(ctx, r.l, r.sess, foldTexts, (*students.Model)(m), r.opts.Predict, func(id, split string, scores []float64) {
		r.preds[id] = oof{fold: fr.Fold, split: split, scores: scores, cal: cal, name: name}
		fr.Articles++
	})
}

// writePredictions commits every out-of-fold prediction to
// <filter>.predictions under the run's model id, with its fold.
func writePredictions(ctx context.Context, l *lake.Lake, opts Options, set *curate.ExampleSet, res *Result, preds map[string]oof) (*lake.Snapshot, error) {
	f := opts.Filter
	ids := make([]string, 0, len(preds))
	for id := range preds {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	m := &students.Model{ID: res.Model, Dimensions: set.Dimensions}
	// Made only now, with rows to commit: a run that failed before leaves
	// no empty table behind.
	if err := spec.Predictions.Ensure(ctx, l, f); err != nil {
		return nil, err
	}
	now := time.Now()
	pending, err := l.WriteRows(ctx, spec.Predictions.For(f), func(rb *lake.RowBuilder) error {
		for _, id := range ids {
			p := preds[id]
			rb.String("id", id)
			rb.String("model", res.Model)
			predict.EmitScores(rb, f, m, p.cal, p.name, p.scores)
			rb.String("split", p.split)
			rb.Int("fold", int32(p.fold))
			rb.Time("predicted_at", now)
			rb.String("run_id", l.RunID)
			rb.EndRow()
			if rb.Stopped() {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	snap, err := pending.Commit(ctx, lake.Commit{Stage: spec.CV.Name, Inputs: set.Inputs(), Filter: f.Ref(),
		Params: map[string]any{"model": res.Model, "backend": res.Backend, "folds": opts.Folds, "seed": opts.Seed, "combine": opts.Student.Combine}})
	if err != nil {
		return nil, err
	}
	res.RowsOut = pending.Rows()
	return snap, nil
}

// widenedNote sums up the fold models' notes (a penalty grid widened past
// an edge, a fold too small to calibrate) in one line; --json keeps each
// fold's.
func widenedNote(folds []Fold) string {
	notes, with := 0, 0
	first := ""
	for _, f := range folds {
		notes += len(f.Notes)
		if len(f.Notes) > 0 {
			with++
			if first == "" {
				first = f.Notes[0]
			}
		}
	}
	if notes == 0 {
		return ""
	}
	return fmt.Sprintf("the fold models left %s in %d of %d folds (--json lists them), e.g. %s", human.Plural(int64(notes), "note"), with, len(folds), first)
}

// calibrate fits the fold model's isotonic maps on its predictions of
// its validation fold, as train fits a model's on the val split, unless
// told not to or the fold is too small (Fold.Notes says so).
func (r *foldRun) calibrate(ctx context.Context, m *train.Model, dir string, fr *Fold) (*calibrate.Calibration, string, error) {
	if r.opts.Student.Calibrate != nil && !*r.opts.Student.Calibrate {
		return nil, "", nil
	}
	if r.labels == nil { // read once per run, under mu like every use of sess
		var err error
		if r.labels, err = exampleLabels(ctx, r.sess); err != nil {
			return nil, "", err
		}
	}
	var preds, ys [][]float64
	err := predict.Score(ctx, r.l, r.sess, valTexts, (*students.Model)(m), r.opts.Predict, func(id, _ string, scores []float64) {
		preds, ys = append(preds, scores), append(ys, r.labels[id])
	})
	if err != nil {
		return nil, "", err
	}
	if len(preds) < calibrate.MinPoints {
		fr.Notes = append(fr.Notes, fmt.Sprintf("fold %d: no calibration: %s, isotonic calibration needs at least %d",
			fr.Fold, human.Plural(int64(len(preds)), "validation article"), calibrate.MinPoints))
		return nil, "", nil
	}
	cal, err := calibrate.FitAll(m.Dimensions, preds, ys)
	if err != nil {
		return nil, "", err
	}
	name, err := cal.Save(filepath.Join(dir, calibrate.File))
	return cal, name, err
}

// exampleLabels is every example's oracle scores by id.
func exampleLabels(ctx context.Context, sess *lake.Session) (map[string][]float64, error) {
	out := map[string][]float64{}
	err := sess.EachFile(ctx, "cv/labels", nil, func(rows *sql.Rows) error {
		var id string
		var raw []any
		if err := rows.Scan(&id, &raw); err != nil {
			return err
		}
		y := make([]float64, len(raw))
		for i, v := range raw {
			y[i], _ = v.(float64)
		}
		out[id] = y
		return nil
	})
	return out, err
}
