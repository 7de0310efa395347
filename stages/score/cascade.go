package score

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/calibrate"
	"github.com/distillery/distillery/students/linear"
)

// ErrNoPositives means val holds no article above the lowest tier to tune
// a cascade's recall on.
var ErrNoPositives = errors.New("no positives to tune the cascade on")

// CascadeOptions say which first stage to measure, and whether to turn it
// on for distill score.
type CascadeOptions struct {
	Filter *filters.Filter `yaml:"-"`
	// First is a linear model id: the cheap first stage.
	First string `yaml:"first"`
	// Recall is the share of val positives to keep (default 0.98).
	Recall float64 `yaml:"recall"`
	// Enable turns the cascade on for distill score; Disable turns any
	// cascade off (First is then not needed). Neither: measure only.
	Enable, Disable bool `yaml:"-"`
	// Waiting, when set, gets the line saying another run holds a table.
	Waiting func(msg string) `yaml:"-"`
}

// Validate fills defaults and checks the options.
func (o *CascadeOptions) Validate() error {
	if o.Filter == nil || (o.First == "" && !o.Disable) {
		return fmt.Errorf("%w: cascade needs --filter DIR and --first MODEL (or --disable)", ErrOptions)
	}
	if o.Enable && o.Disable {
		return fmt.Errorf("%w: --enable or --disable, not both", ErrOptions)
	}
	if o.Recall == 0 {
		o.Recall = 0.98
	}
	if o.Recall <= 0 || o.Recall > 1 {
		return fmt.Errorf("%w: --recall %g: want a share above 0, at most 1 (e.g. 0.98)", ErrOptions, o.Recall)
	}
	return nil
}

// SplitFigures is what a threshold keeps and forwards on one split.
type SplitFigures struct {
	Articles  int64   `json:"articles"`
	Positives int64   `json:"positives"`
	Recall    float64 `json:"recall"`
	Forwarded float64 `json:"forwarded"`
}

// CascadeResult is a measured first stage.
type CascadeResult struct {
	spec.Summary
	First        string       `json:"first_model"`
	Threshold    float64      `json:"threshold"`
	TargetRecall float64      `json:"target_recall"`
	Val          SplitFigures `json:"val"`
	Test         SplitFigures `json:"test"`
	// Speedup is 1 / the share of test articles forwarded: how much less
	// work the production model does.
	Speedup float64 `json:"speedup"`
	Enabled bool    `json:"enabled"`
}

// Cascade measures first as a first stage for the filter's production
// model: the highest threshold on its overall score that forwards at least
// Recall of the val articles the oracle put above the lowest tier, and
// what that threshold keeps and forwards on test; it records the run in
// <filter>.cascades, on with Enable.
func Cascade(ctx context.Context, l *lake.Lake, opts CascadeOptions) (*CascadeResult, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	res := &CascadeResult{Summary: spec.Start(spec.Cascade, l.RunID), First: opts.First, TargetRecall: opts.Recall, Enabled: opts.Enable}
	var inputs []lake.Snapshot
	if !opts.Disable {
		in, err := measure(ctx, l, opts, res)
		if err != nil {
			return nil, err
		}
		inputs = in
	} else if _, err := students.ResolveID(ctx, l, f, students.Latest); err != nil {
		return nil, err // no model: no cascade to turn off
	} else if snap, err := l.Current(ctx, spec.Models.For(f)); err != nil {
		return nil, err
	} else if snap != nil {
		inputs = []lake.Snapshot{*snap}
	}
	res.SetInputs(inputs...)
	if err := spec.Cascades.Ensure(ctx, l, f); err != nil {
		return nil, err
	}
	lock, err := spec.Cascade.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	pending, err := l.WriteRows(ctx, spec.Cascades.For(f), func(rb *lake.RowBuilder) error {
		rb.String("first_model", res.First)
		if !opts.Disable {
			rb.Double("threshold", res.Threshold)
			rb.Double("target_recall", res.TargetRecall)
			for _, s := range []struct {
				name string
				fig  SplitFigures
			}{{"val", res.Val}, {"test", res.Test}} {
				rb.Long(s.name+"_articles", s.fig.Articles)
				rb.Long(s.name+"_positives", s.fig.Positives)
				rb.Double(s.name+"_recall", s.fig.Recall)
				rb.Double(s.name+"_forwarded", s.fig.Forwarded)
			}
		}
		rb.Bool("enabled", opts.Enable)
		rb.Time("measured_at", time.Now())
		rb.String("run_id", l.RunID)
		rb.EndRow()
		return nil
	})
	if err != nil {
		return nil, err
	}
	snap, err := pending.Commit(ctx, lake.Commit{Stage: spec.Cascade.Name, Filter: f.Ref(), Inputs: inputs,
		Params: map[string]any{"first_model": res.First, "threshold": res.Threshold, "enabled": opts.Enable}})
	if err != nil {
		return nil, err
	}
	res.RowsIn, res.RowsOut = res.Val.Articles+res.Test.Articles, 1
	res.Finish(spec.Cascades.For(f), snap, start)
	return res, nil
}

// measure predicts val and test with the first stage (what is not
// predicted yet) and tunes and measures the threshold.
func measure(ctx context.Context, l *lake.Lake, opts CascadeOptions, res *CascadeResult) ([]lake.Snapshot, error) {
	f := opts.Filter
	m, err := students.Find(ctx, l, f, opts.First)
	if err != nil {
		return nil, err
	}
	if m.Backend != "linear" {
		return nil, fmt.Errorf("%w: %s is a %s model: a first stage must be cheap, a linear one", ErrOptions, m.ID, m.Backend)
	}
	if _, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: m.ID, Split: "all", Waiting: opts.Waiting}); err != nil {
		return nil, err
	}
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	set, err := curate.DefineExamples(ctx, sess, f, lake.Ref{}, lake.Ref{}, f.Splits.Combine)
	if err != nil {
		return nil, err
	}
	predRel, predSnap, err := sess.Relation(ctx, spec.Predictions.Ref(f))
	if err != nil {
		return nil, err
	}
	inputs := append(set.Inputs(), *predSnap)
	if err := sess.Input(ctx, "cascade_predictions", predRel); err != nil {
		return nil, err
	}
	if err := sess.TempTable(ctx, "cascade_pairs", "cascade/pairs", lake.Params{"first": m.ID, "lowest": f.Tiers[len(f.Tiers)-1].Name}); err != nil {
		return nil, err
	}
	var threshold sql.NullFloat64
	if err := sess.QueryRowFile(ctx, "cascade/threshold", lake.Params{"recall": opts.Recall}, &threshold, &res.Val.Positives); err != nil {
		return nil, err
	}
	if !threshold.Valid {
		return nil, fmt.Errorf("%w: %s has no validation article above the lowest tier (%s)", ErrNoPositives, set.Splits.Ref(), f.Tiers[len(f.Tiers)-1].Name)
	}
	res.Threshold = threshold.Float64
	err = sess.EachFile(ctx, "cascade/measure", lake.Params{"threshold": res.Threshold}, func(rows *sql.Rows) error {
		var split string
		var fig SplitFigures
		var recall sql.NullFloat64
		if err := rows.Scan(&split, &fig.Articles, &fig.Positives, &recall, &fig.Forwarded); err != nil {
			return err
		}
		fig.Recall = recall.Float64
		if split == "val" {
			res.Val = fig
		} else {
			res.Test = fig
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if res.Test.Forwarded > 0 {
		res.Speedup = 1 / res.Test.Forwarded
	}
	return inputs, nil
}

// firstStage is an enabled cascade's first stage, for score.
type firstStage struct {
	model     *students.Model
	linear    *linear.Model
	cal       *calibrate.Calibration
	calName   string
	threshold float64
}

// cascadeOf is the filter's enabled cascade (nil: none, or turned off),
// read from the newest row of <filter>.cascades.
func cascadeOf(ctx context.Context, l *lake.Lake, sess *lake.Session, f *filters.Filter) (*firstStage, *lake.Snapshot, error) {
	rel, snap, err := sess.Relation(ctx, spec.Cascades.Ref(f))
	if errors.Is(err, lake.ErrNoTable) || (err == nil && snap == nil) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if err := sess.Input(ctx, "cascades_input", rel); err != nil {
		return nil, nil, err
	}
	var id string
	var threshold sql.NullFloat64
	var enabled sql.NullBool
	if err := sess.QueryRowFile(ctx, "cascade/newest", nil, &id, &threshold, &enabled); err != nil {
		return nil, nil, err
	}
	if !enabled.Bool {
		return nil, snap, nil
	}
	off := func(err error) error {
		return fmt.Errorf("%s: the cascade's first stage %s: %w; restore it, or turn the cascade off: distill cascade --filter DIR --disable", f.Namespace(), id, err)
	}
	m, err := students.Find(ctx, l, f, id)
	if err != nil {
		return nil, nil, off(err)
	}
	fs := &firstStage{model: m, threshold: threshold.Float64}
	if fs.linear, err = linear.Load(m.Dir(l) + "/model.gob"); err != nil {
		return nil, nil, off(err)
	}
	if fs.cal, fs.calName, err = predict.ModelCalibration(ctx, sess, l, f, m); err != nil {
		return nil, nil, off(err)
	}
	return fs, snap, nil
}

// stops predicts text with the first stage: its raw scores, and whether
// its overall (calibrated as predict would) falls below the threshold, so
// the article is not forwarded.
func (fs *firstStage) stops(f *filters.Filter, p *linear.Predictor, text string) ([]float64, bool) {
	raw := p.Predict(text)
	scores := raw
	if fs.cal != nil {
		scores = fs.cal.Apply(raw)
	}
	vals := map[string]float64{}
	for i, d := range fs.model.Dimensions {
		vals[d] = scores[i]
	}
	overall, _ := f.ScoreOf(vals)
	return raw, overall < fs.threshold
}
