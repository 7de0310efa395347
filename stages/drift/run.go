package drift

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// SuggestedBudget is the most articles the suggested label command asks
// for: a round of labels a person can afford, not a relabeling.
const SuggestedBudget = 50

// inputs are the snapshots a run read.
type inputs struct {
	scores, raw, labels, splits, predictions *lake.Snapshot
}

func (in inputs) list() []lake.Snapshot {
	var out []lake.Snapshot
	for _, s := range []*lake.Snapshot{in.scores, in.raw, in.labels, in.splits, in.predictions} {
		if s != nil {
			out = append(out, *s)
		}
	}
	return out
}

func seq(s *lake.Snapshot) any {
	if s == nil {
		return nil
	}
	return s.Seq
}

// Run windows opts.Filter's scores, compares the newest window with the
// training labels and the earlier windows (sql/drift/*.sql), and appends
// the figures to <filter>.drift.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	res := &Result{Summary: spec.Start(spec.Drift, l.RunID), Filter: fmt.Sprintf("%s/v%d", f.Name, f.Version), By: opts.By,
		Rows: []Row{}, Flagged: []Row{}, Dimensions: []string{}, Notes: []string{}, Windows: []Window{},
		Threshold: opts.Threshold, PassThreshold: opts.PassThreshold, MinArticles: opts.MinArticles}
	in, err := readScores(ctx, sess, opts, res)
	if err != nil {
		return nil, err
	}
	if err := readTrain(ctx, sess, opts, &in, res); err != nil {
		return nil, err
	}
	if err := compare(ctx, sess, opts, res); err != nil {
		return nil, err
	}
	out := spec.Drifts.For(f)
	if err := spec.Drifts.Ensure(ctx, l, f); err != nil {
		return nil, err
	}
	lock, err := spec.Drift.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	pending, err := l.WriteRows(ctx, out, func(rb *lake.RowBuilder) error {
		fillRows(rb, res, in, opts, l.RunID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	snap, err := pending.Commit(ctx, lake.Commit{Stage: spec.Drift.Name, Inputs: in.list(), Filter: f.Ref(),
		Params: map[string]any{"by": opts.By, "threshold": opts.Threshold, "pass_threshold": opts.PassThreshold,
			"min_articles": opts.MinArticles, "combine": opts.Combine}})
	if err != nil {
		return nil, err
	}
	res.RowsOut = pending.Rows()
	res.SetInputs(in.list()...)
	res.Next = next(f, res)
	res.Finish(out, snap, start)
	return res, nil
}

// readScores defines drift_articles and drift_windows from the scores and
// corpus.raw's published dates, and reads the windows.
func readScores(ctx context.Context, sess *lake.Session, opts Options, res *Result) (inputs, error) {
	f := opts.Filter
	var in inputs
	rel, snap, err := sess.Relation(ctx, spec.Scores.Ref(f))
	if errors.Is(err, lake.ErrNoTable) || err == nil && snap == nil {
		return in, spec.Need(spec.Scores, f.Namespace(), fmt.Sprintf("%s: %s", ErrNoScores, spec.Scores.For(f)), ErrNoScores)
	}
	if err != nil {
		return in, err
	}
	in.scores = snap
	rawRel, rawSnap, err := sess.Relation(ctx, spec.Raw.Ref(nil))
	if errors.Is(err, lake.ErrNoTable) || err == nil && rawSnap == nil {
		return in, spec.Need(spec.Raw, spec.CorpusNamespace, "", err)
	}
	if err != nil {
		return in, err
	}
	in.raw = rawSnap
	if err := curate.DefineFilter(ctx, sess, f); err != nil {
		return in, err
	}
	err = sess.Input(ctx, "drift_scores", rel)
	if err == nil {
		err = sess.Input(ctx, "drift_raw", rawRel)
	}
	if err == nil {
		err = sess.TempTable(ctx, "drift_articles", "drift/articles", lake.Params{"by": opts.By})
	}
	if err == nil {
		err = sess.TempTable(ctx, "drift_windows", "drift/windows", lake.Params{"min_articles": opts.MinArticles})
	}
	if err != nil {
		return in, err
	}
	err = sess.Each(ctx, "SELECT * FROM drift_windows ORDER BY window_start DESC, window_name DESC", func(rows *sql.Rows) error {
		var w Window
		var start any
		if err := rows.Scan(&w.Name, &w.Position, &start, &w.Articles, &w.Passed, &w.DatedByScoredAt); err != nil {
			return err
		}
		res.Windows = append(res.Windows, w)
		res.RowsIn += w.Articles
		res.DatedByScoredAt += w.DatedByScoredAt
		return nil
	})
	if err != nil {
		return in, err
	}
	if len(res.Windows) == 0 {
		return in, spec.Need(spec.Scores, f.Namespace(), fmt.Sprintf("%s: %s is empty", ErrNoScores, snap.Ref()), ErrNoScores)
	}
	var newer []string
	for _, w := range res.Windows {
		switch w.Position {
		case 0:
			newer = append(newer, fmt.Sprintf("%s (%d)", w.Name, w.Articles))
		case 1:
			res.Window = w.Name
		}
	}
	if len(newer) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("newer windows with fewer than %d scored articles are listed, not compared: %s; the newest window that large is compared",
			opts.MinArticles, strings.Join(newer, ", ")))
	}
	if res.DatedByScoredAt > 0 && opts.By != ByRun {
		res.Notes = append(res.Notes, fmt.Sprintf("%d of %d scored articles had no usable published date (missing, unreadable or after they were scored) and were dated by when they were scored",
			res.DatedByScoredAt, res.RowsIn))
	}
	return in, nil
}

// readTrain defines drift_train: the train split's combined labels, or an
// empty table when the filter has no labels or splits (then the newest
// window is compared with earlier ones only).
func readTrain(ctx context.Context, sess *lake.Session, opts Options, in *inputs, res *Result) error {
	f := opts.Filter
	empty := func(why string) error {
		res.Notes = append(res.Notes, "no train baseline: "+why)
		return sess.ExecAll(ctx, "CREATE OR REPLACE TEMP TABLE drift_train AS SELECT id, tier, overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM drift_articles WHERE false")
	}
	p, err := curate.Prepare(ctx, sess, f, spec.Labels.Ref(f), opts.Combine)
	var need *spec.NeedError
	if errors.As(err, &need) {
		return empty(fmt.Sprintf("%s has no labels", spec.Labels.For(f)))
	}
	if err != nil {
		return err
	}
	in.labels = p.Labels
	// Prepare ordered the dimensions as the labels table does; the rows
	// follow the filter's order.
	if err := sess.SetVariables(ctx, lake.Vars{"dimensions": f.DimensionNames(), "lowest_tier": f.Tiers[len(f.Tiers)-1].Name}); err != nil {
		return err
	}
	rel, snap, err := sess.Relation(ctx, spec.Splits.Ref(f))
	if errors.Is(err, lake.ErrNoTable) || err == nil && snap == nil {
		return empty(fmt.Sprintf("%s has no snapshot (distill split --filter DIR)", spec.Splits.For(f)))
	}
	if err != nil {
		return err
	}
	in.splits = snap
	if err := sess.Input(ctx, "splits_input", rel); err != nil {
		return err
	}
	if err := sess.TempTable(ctx, "drift_train", "drift/train", nil); err != nil {
		return err
	}
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM drift_train", &res.Train); err != nil {
		return err
	}
	if res.Train == 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("no train baseline: %s puts no labeled article in train", snap.Ref()))
		return nil
	}
	return predictedTrain(ctx, sess, opts, in, res)
}

// predictedTrain replaces drift_train's labels with the scores the model
// of the newest scores gave the same training articles, when it predicted
// them all: the student's scores are smoother than the oracle's whole-number
// labels, so against the labels a stable stream reads as drift (on the
// README's tour lake every dimension but two was flagged, PSI up to 13, with
// equal means). Without them the labels stay, and a note says how to get
// the like-for-like baseline.
func predictedTrain(ctx context.Context, sess *lake.Session, opts Options, in *inputs, res *Result) error {
	f := opts.Filter
	// The model that scored the window compared (most of it, when a new
	// production model scored part): not the model of the newest row,
	// which may be a few articles of a newer, smaller window.
	var model string
	var models int64
	err := sess.QueryRow(ctx, `SELECT model, count(*) OVER () FROM (
		SELECT a.model, count(*) AS n FROM drift_articles a JOIN drift_windows w USING (window_name)
		WHERE w.position = 1 GROUP BY a.model) ORDER BY n DESC, model LIMIT 1`, &model, &models)
	if err != nil {
		return err
	}
	if models > 1 {
		res.Notes = append(res.Notes, fmt.Sprintf("the window compared was scored by %d models; the train baseline is for %s, which scored most of it", models, model))
	}
	labelsOnly := func() error {
		res.TrainSource = "labels"
		res.Notes = append(res.Notes, fmt.Sprintf("the train baseline is the oracle's labels, not %s's own scores of those articles: a student's scores are smoother than the labels, so PSI against them overstates drift; for a like-for-like baseline: distill predict --filter DIR --model %s --split train", model, model))
		return nil
	}
	rel, snap, err := sess.Relation(ctx, spec.Predictions.Ref(f))
	if errors.Is(err, lake.ErrNoTable) || err == nil && snap == nil {
		return labelsOnly()
	}
	if err != nil {
		return err
	}
	if err := sess.Input(ctx, "drift_predictions", rel); err != nil {
		return err
	}
	if err := sess.TempTable(ctx, "drift_train_predicted", "drift/train_predicted", lake.Params{"scored_by": model}); err != nil {
		return err
	}
	var n int64
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM drift_train_predicted", &n); err != nil {
		return err
	}
	if n < res.Train {
		return labelsOnly()
	}
	in.predictions = snap
	res.TrainSource = "predictions:" + model
	return sess.ExecAll(ctx, "CREATE OR REPLACE TEMP TABLE drift_train AS SELECT * FROM drift_train_predicted")
}

// compare computes the rows (sql/drift/values, psi, rows) and what they flag.
func compare(ctx context.Context, sess *lake.Session, opts Options, res *Result) error {
	f := opts.Filter
	if err := sess.SetVariables(ctx, lake.Vars{"dimensions": f.DimensionNames(), "lowest_tier": f.Tiers[len(f.Tiers)-1].Name}); err != nil {
		return err
	}
	if err := sess.TempTable(ctx, "drift_values", "drift/values", nil); err != nil {
		return err
	}
	if err := sess.TempTable(ctx, "drift_psi", "drift/psi", nil); err != nil {
		return err
	}
	p := lake.Params{"psi_threshold": opts.Threshold, "pass_threshold": opts.PassThreshold, "min_articles": opts.MinArticles}
	flagged := map[string]bool{}
	return sess.EachFile(ctx, "drift/rows", p, func(rows *sql.Rows) error {
		var r Row
		var window string
		var psi, chance, rv, bv, ch sql.NullFloat64
		var dated int64
		if err := rows.Scan(&window, &r.Baseline, &r.Dimension, &r.RecentArticles, &r.BaselineArticles, &psi, &chance, &rv, &bv, &ch, &r.Flagged, &r.Note, &dated); err != nil {
			return err
		}
		r.PSI, r.Chance, r.RecentValue, r.BaselineValue, r.Change = curate.Nullable(psi), curate.Nullable(chance), curate.Nullable(rv), curate.Nullable(bv), curate.Nullable(ch)
		res.Rows = append(res.Rows, r)
		if r.Flagged {
			res.Flagged = append(res.Flagged, r)
			if !flagged[r.Dimension] {
				flagged[r.Dimension] = true
				res.Dimensions = append(res.Dimensions, r.Dimension)
			}
		}
		return nil
	})
}

// recent is the window compared.
func (r *Result) recent() Window {
	for _, w := range r.Windows {
		if w.Position == 1 {
			return w
		}
	}
	return Window{}
}

// next is the label command that sends the articles of the moved bins to
// the oracle, when a dimension (or overall, or tier) moved.
func next(f *filters.Filter, res *Result) string {
	scored := false
	for _, d := range res.Dimensions {
		scored = scored || d != "pass_rate"
	}
	if !scored {
		return ""
	}
	budget := min(int64(SuggestedBudget), max(res.recent().Passed, 1))
	return fmt.Sprintf("distill label --filter %s --select drift --budget %d", f.Dir, budget)
}

// fillRows writes one row per comparison.
func fillRows(rb *lake.RowBuilder, res *Result, in inputs, opts Options, runID string) {
	now := time.Now()
	double := func(col string, v *float64) {
		if v == nil {
			rb.Null(col)
		} else {
			rb.Double(col, *v)
		}
	}
	long := func(col string, v any) {
		if v == nil {
			rb.Null(col)
		} else {
			rb.Long(col, v.(int64))
		}
	}
	for _, r := range res.Rows {
		rb.String("baseline", r.Baseline)
		rb.String("dimension", r.Dimension)
		rb.String("recent_window", res.Window)
		rb.String("by", opts.By)
		rb.Long("recent_articles", r.RecentArticles)
		rb.Long("baseline_articles", r.BaselineArticles)
		double("psi", r.PSI)
		double("chance", r.Chance)
		rb.String("train_source", res.TrainSource)
		if in.predictions != nil {
			rb.Long("predictions_sequence", in.predictions.Seq)
		}
		double("recent_value", r.RecentValue)
		double("baseline_value", r.BaselineValue)
		double("change", r.Change)
		rb.Bool("flagged", r.Flagged)
		rb.String("note", r.Note)
		rb.Double("threshold", opts.Threshold)
		rb.Double("pass_threshold", opts.PassThreshold)
		rb.Long("min_articles", int64(opts.MinArticles))
		rb.Long("dated_by_scored_at", res.recent().DatedByScoredAt)
		long("scores_sequence", seq(in.scores))
		long("raw_sequence", seq(in.raw))
		long("labels_sequence", seq(in.labels))
		long("splits_sequence", seq(in.splits))
		rb.Time("drifted_at", now)
		rb.String("run_id", runID)
		rb.EndRow()
	}
}
