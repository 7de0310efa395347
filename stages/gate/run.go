// Package gate decides whether a candidate student may replace the one in
// production: Run scores both on the same oracle-labeled test articles,
// takes the difference of each metric with a paired bootstrap 95%
// interval, calls an interval of MAE or recall wholly on the worse side a
// regression, and appends the verdict to <filter>.gates. Tag records which
// model a tag (production) names in <filter>.model_tags, the model Run
// compares against; with none, Run compares with the training mean and
// median baselines.
package gate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/suggest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Run gates opts.Candidate and appends the verdict to <filter>.gates. A
// regression is not an error here: the result says so (Verdict), and the
// command turns it into a RegressionError after printing it.
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
	thr, from := opts.threshold()
	res := &Result{Summary: spec.Start(spec.Gate, l.RunID), Filter: fmt.Sprintf("%s/v%d", f.Name, f.Version), Candidate: opts.Candidate,
		Split: opts.Split, Threshold: thr, ThresholdFrom: from, Bootstrap: opts.Bootstrap, Seed: opts.Seed, Oracles: []Provenance{}}
	in, err := readInputs(ctx, sess, opts, res)
	if err != nil {
		return nil, err
	}
	sides, err := readScores(ctx, sess, opts, in)
	if err != nil {
		return nil, err
	}
	res.Articles = int64(len(sides[0].absError))
	intervals, err := pairedBootstrap(ctx, sides[0], sides[1:], thr, opts.Bootstrap, opts.Seed)
	if err != nil {
		return nil, err
	}
	compare(res, in.others, sides, intervals)

	out := spec.Gates.For(f)
	if err := spec.Gates.Ensure(ctx, l, f); err != nil {
		return nil, err
	}
	lock, err := spec.Gate.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	pending, err := l.WriteRows(ctx, out, func(rb *lake.RowBuilder) error { return fillRows(rb, res, in, l.RunID) })
	if err != nil {
		return nil, err
	}
	snap, err := pending.Commit(ctx, lake.Commit{Stage: spec.Gate.Name, Inputs: in.snapshots, Filter: f.Ref(), Params: map[string]any{
		"candidate": opts.Candidate, "against": opts.Against, "threshold": thr, "bootstrap": opts.Bootstrap, "seed": opts.Seed,
		"split": opts.Split, "combine": opts.Combine,
	}})
	if err != nil {
		return nil, err
	}
	res.RowsIn, res.RowsOut = res.Articles, pending.Rows()
	res.SetInputs(in.snapshots...)
	res.Finish(out, snap, start)
	return res, nil
}

// inputs is what Run read: the snapshots (its lineage), the sides
// compared, and the sequence numbers its rows record.
type inputs struct {
	snapshots []lake.Snapshot
	// others are what the candidate is compared with: one model, or the
	// two baselines.
	others                                    []string
	baselines                                 bool
	predictions, labels, splits, models, tags sql.NullInt64
}

// add records a snapshot read, once.
func (in *inputs) add(s *lake.Snapshot) {
	if s != nil && !slices.ContainsFunc(in.snapshots, func(o lake.Snapshot) bool { return o.Ref() == s.Ref() }) {
		in.snapshots = append(in.snapshots, *s)
	}
}

// relation is the table's snapshot at ref as a relation, or a NeedError
// naming its writer when it has none.
func relation(ctx context.Context, sess *lake.Session, t *spec.Table, ref lake.Ref, what string) (string, *lake.Snapshot, error) {
	rel, snap, err := sess.Relation(ctx, ref)
	if errors.Is(err, lake.ErrNoTable) || err == nil && snap == nil {
		return "", nil, spec.Need(t, ref.Namespace, what, nil)
	}
	return rel, snap, err
}

// readInputs reads the models (and tags), resolves what the candidate is
// compared with, combines the labels, scopes the split and checks the
// labels' oracles.
func readInputs(ctx context.Context, sess *lake.Session, opts Options, res *Result) (*inputs, error) {
	f := opts.Filter
	in := &inputs{}
	rel, snap, err := relation(ctx, sess, spec.Models, spec.Models.Ref(f), fmt.Sprintf("%s %q: %s has no models yet", ErrNoModel, opts.Candidate, spec.Models.For(f)))
	if err != nil {
		return nil, err
	}
	in.add(snap)
	in.models = sql.NullInt64{Int64: snap.Seq, Valid: true}
	if err := sess.Input(ctx, "models_input", rel); err != nil {
		return nil, err
	}
	known, err := sess.StringSet(ctx, "SELECT id FROM models_input")
	if err != nil {
		return nil, err
	}
	if err := knownModel(known, opts.Candidate, "candidate", snap); err != nil {
		return nil, err
	}
	if err := resolveAgainst(ctx, sess, opts, known, snap, in, res); err != nil {
		return nil, err
	}
	prep, err := curate.Prepare(ctx, sess, f, spec.Labels.Ref(f), opts.Combine)
	if err != nil {
		return nil, err
	}
	in.add(prep.Labels)
	in.labels = sql.NullInt64{Int64: prep.Labels.Seq, Valid: true}
	splitsRel, splitsSnap, err := relation(ctx, sess, spec.Splits, spec.Splits.Ref(f), "")
	if err != nil {
		return nil, err
	}
	in.add(splitsSnap)
	in.splits = sql.NullInt64{Int64: splitsSnap.Seq, Valid: true}
	if err := sess.Input(ctx, "splits_input", splitsRel); err != nil {
		return nil, err
	}
	if err := sess.TempTable(ctx, "eval_scope", "eval/scope", lake.Params{"split": opts.Split}); err != nil {
		return nil, err
	}
	if err := leaveOutSeen(ctx, sess, opts, in, splitsSnap, res); err != nil {
		return nil, err
	}
	predRel, predSnap, err := relation(ctx, sess, spec.Predictions, spec.Predictions.Ref(f), "")
	if err != nil {
		return nil, err
	}
	in.add(predSnap)
	in.predictions = sql.NullInt64{Int64: predSnap.Seq, Valid: true}
	// The gate judges what a model answers: its calibrated scores when it
	// has a calibration (the main columns; eval's raw columns are added as
	// nulls to a table older than calibration).
	if predRel, err = curate.PredictionsRelation(ctx, sess, predRel, predSnap.Ref().String(), f.DimensionNames()); err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "predictions_input", predRel); err != nil {
		return nil, err
	}
	models := []string{opts.Candidate}
	if !in.baselines {
		models = append(models, in.others...)
	}
	if err := sess.SetVariables(ctx, lake.Vars{"eval_models": models, "eval_calibrated": true,
		"eval_raw_dimensions": curate.RawColumns(f.DimensionNames())}); err != nil {
		return nil, err
	}
	if err := sess.TempTable(ctx, "eval_predictions", "eval/latest_predictions", nil); err != nil {
		return nil, err
	}
	if err := checkPredicted(ctx, sess, opts, predSnap); err != nil {
		return nil, err
	}
	if err := checkOracles(ctx, sess, opts, in, res); err != nil {
		return nil, err
	}
	return in, nil
}

// knownModel fails when id is not a model of the snapshot.
func knownModel(known map[string]bool, id, role string, snap *lake.Snapshot) error {
	if known[id] {
		return nil
	}
	ids := make([]string, 0, len(known))
	for k := range known {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	return fmt.Errorf("%w: %s %q is not in %s%s", ErrNoModel, role, id, snap.Ref(), suggest.Phrase(id, ids))
}

// resolveAgainst sets what the candidate is compared with: the model
// named, the production model, or (with no production model, or when the
// candidate is it) the baselines.
func resolveAgainst(ctx context.Context, sess *lake.Session, opts Options, known map[string]bool, models *lake.Snapshot, in *inputs, res *Result) error {
	switch opts.Against {
	case Baselines:
		res.Against = "the baselines"
	case Production:
		prod, snap, err := Tagged(ctx, sess, opts.Filter, Production)
		if err != nil {
			return err
		}
		in.add(snap)
		if snap != nil {
			in.tags = sql.NullInt64{Int64: snap.Seq, Valid: true}
		}
		switch {
		case prod == "":
			res.Against = "the baselines"
			res.Warn("no model is tagged production (distill model tag production MODEL): the candidate is compared with the training mean and median")
		case prod == opts.Candidate:
			res.Against = "the baselines"
			res.Warn("%s is already the production model: it is compared with the training mean and median", prod)
		default:
			if err := knownModel(known, prod, "the production model", models); err != nil {
				return err
			}
			in.others = []string{prod}
			res.Against = "production model " + prod
			return nil
		}
	default:
		if err := knownModel(known, opts.Against, "--against", models); err != nil {
			return err
		}
		in.others = []string{opts.Against}
		res.Against = opts.Against
		return nil
	}
	in.baselines, in.others = true, []string{"baseline:mean", "baseline:median"}
	return nil
}

// checkPredicted refuses, with the commands to run, when a model compared
// has not predicted every labeled article in scope. The gate does not
// predict them itself: a lora model's predictions need its Python and
// often a GPU, and a gate writes one table (one commit) like every stage.
func checkPredicted(ctx context.Context, sess *lake.Session, opts Options, preds *lake.Snapshot) error {
	var missing []string
	var labeled int64
	if err := sess.EachFile(ctx, "gate/unpredicted", nil, func(rows *sql.Rows) error {
		var m string
		var n int64
		if err := rows.Scan(&m, &labeled, &n); err != nil {
			return err
		}
		if n > 0 {
			missing = append(missing, fmt.Sprintf("%s lacks %d", m, n))
		}
		return nil
	}); err != nil {
		return err
	}
	if labeled == 0 {
		return fmt.Errorf("%w: the %s split has no oracle-labeled article (distill split --filter %s, or gate with --split val)", ErrNoArticles, opts.Split, opts.Filter.Dir)
	}
	if len(missing) == 0 {
		return nil
	}
	var cmds []string
	for _, m := range missing {
		id, _, _ := strings.Cut(m, " lacks ")
		cmds = append(cmds, fmt.Sprintf("distill predict --filter %s --model %s --split %s", opts.Filter.Dir, id, opts.Split))
	}
	return &predictError{msg: fmt.Sprintf("%s: of the %s in %s, %s: both sides are scored on the same articles",
		ErrNoPredictions, human.Plural(labeled, "labeled "+opts.Split+" article"), preds.Ref(), strings.Join(missing, ", ")), hint: "run " + strings.Join(cmds, " and ")}
}

// predictError is ErrNoPredictions with the commands that fill them in.
type predictError struct{ msg, hint string }

func (e *predictError) Error() string { return e.msg }
func (e *predictError) Unwrap() error { return ErrNoPredictions }

// Hint is the predict commands to run.
func (e *predictError) Hint() string { return e.hint }

// checkOracles compares where the labels of the articles gated came from
// with where the candidate's training labels came from (the labels and
// split snapshots its models row names), and refuses labels it never saw.
// It leaves eval_train, the candidate's training articles, for the baselines.
func checkOracles(ctx context.Context, sess *lake.Session, opts Options, in *inputs, res *Result) error {
	f := opts.Filter
	var labelsSeq, splitsSeq sql.NullInt64
	if err := sess.QueryRowFile(ctx, "gate/model_training", lake.Params{"id": opts.Candidate}, &labelsSeq, &splitsSeq); err != nil {
		return err
	}
	if err := sess.Input(ctx, "prov_labels", "labels_input"); err != nil {
		return err
	}
	if err := sess.Input(ctx, "prov_articles", "eval_scope"); err != nil {
		return err
	}
	gated, err := provenance(ctx, sess)
	if err != nil {
		return err
	}
	res.Oracles = gated
	trainLabels, trainSplits := spec.Labels.Ref(f), spec.Splits.Ref(f)
	if labelsSeq.Valid {
		trainLabels.At = strconv.FormatInt(labelsSeq.Int64, 10)
	}
	if splitsSeq.Valid {
		trainSplits.At = strconv.FormatInt(splitsSeq.Int64, 10)
	}
	for _, x := range []struct {
		t    *spec.Table
		ref  lake.Ref
		name string
	}{{spec.Labels, trainLabels, "prov_labels"}, {spec.Splits, trainSplits, "train_splits"}} {
		rel, snap, err := relation(ctx, sess, x.t, x.ref, "")
		if err != nil {
			return fmt.Errorf("what %s was trained on: %w", opts.Candidate, err)
		}
		in.add(snap)
		input := sess.Input
		if x.t == spec.Labels { // an older labels table lacks the settings provenance reads
			input = func(ctx context.Context, name, rel string) error { return curate.InputLabels(ctx, sess, name, rel) }
		}
		if err := input(ctx, x.name, rel); err != nil {
			return err
		}
	}
	if err := sess.TempTable(ctx, "eval_train", "gate/train_articles", nil); err != nil {
		return err
	}
	if err := sess.Input(ctx, "prov_articles", "eval_train"); err != nil {
		return err
	}
	trained, err := provenance(ctx, sess)
	if err != nil {
		return err
	}
	if len(trained) == 0 {
		return fmt.Errorf("%w: %s has no training article with a label in %s: which oracle the candidate learned is unknown", ErrMixedOracles, trainSplits, trainLabels)
	}
	var foreign []Provenance
	for _, g := range gated {
		if !slices.ContainsFunc(trained, func(t Provenance) bool { return key(t) == key(g) }) {
			foreign = append(foreign, g)
		}
	}
	if len(foreign) > 0 {
		return &OracleError{Candidate: opts.Candidate, Split: opts.Split, Foreign: foreign, Trained: trained, FilterDir: f.Dir}
	}
	return nil
}

// provenance runs sql/labels/provenance.sql over prov_labels and prov_articles.
func provenance(ctx context.Context, sess *lake.Session) ([]Provenance, error) {
	return curate.Sources(ctx, sess)
}

// readScores reads each side's errors per article, aligned on the articles
// every side scored: the candidate first, then in.others.
func readScores(ctx context.Context, sess *lake.Session, opts Options, in *inputs) ([]*scores, error) {
	byModel := map[string]map[string][3]float64{}
	scan := func(rows *sql.Rows) error {
		var m, id string
		var e, p, o float64
		if err := rows.Scan(&m, &id, &e, &p, &o); err != nil {
			return err
		}
		if byModel[m] == nil {
			byModel[m] = map[string][3]float64{}
		}
		byModel[m][id] = [3]float64{e, p, o}
		return nil
	}
	if err := sess.EachFile(ctx, "gate/articles", nil, scan); err != nil {
		return nil, err
	}
	if in.baselines {
		if err := sess.TempTable(ctx, "eval_baseline", "eval/train_means", nil); err != nil {
			return nil, err
		}
		if err := sess.EachFile(ctx, "gate/baseline_articles", nil, scan); err != nil {
			return nil, err
		}
		if len(byModel[in.others[0]]) == 0 {
			return nil, fmt.Errorf("%w: no production model, and no training article of %s for the baselines: tag one (distill model tag production MODEL) or pass --against MODEL", ErrNoBaseline, opts.Candidate)
		}
	}
	names := append([]string{opts.Candidate}, in.others...)
	var ids []string
	for id := range byModel[opts.Candidate] {
		if !slices.ContainsFunc(in.others, func(m string) bool { _, ok := byModel[m][id]; return !ok }) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: no article of the %s split has a score on every side", ErrNoArticles, opts.Split)
	}
	slices.Sort(ids)
	sides := make([]*scores, len(names))
	for k, m := range names {
		s := &scores{}
		for _, id := range ids {
			v := byModel[m][id]
			s.absError, s.predicted, s.oracle = append(s.absError, v[0]), append(s.predicted, v[1]), append(s.oracle, v[2])
		}
		sides[k] = s
	}
	return sides, nil
}

// compare fills the comparisons and the verdict. Against a baseline only
// MAE is judged: a constant's recall is all or nothing, and says nothing of
// ranking.
func compare(res *Result, others []string, sides []*scores, intervals [][nMetrics]interval) {
	all := make([]int, len(sides[0].absError))
	for i := range all {
		all[i] = i
	}
	cand := measure(sides[0], all, res.Threshold)
	res.Verdict = Pass
	for o, name := range others {
		other := measure(sides[o+1], all, res.Threshold)
		c := Comparison{Against: name}
		for k, metric := range Metrics {
			better := "higher"
			if lowerIsBetter[metric] {
				better = "lower"
			}
			iv := intervals[o][k]
			d := MetricDiff{Metric: metric, Better: better, Candidate: num(cand[k]), Against: num(other[k]), Difference: num(cand[k] - other[k]),
				Judged: lowerIsBetter[metric] || metric == Recall && !strings.HasPrefix(name, "baseline:")}
			if iv.ok {
				d.Low, d.High = num(iv.low), num(iv.high)
			}
			d.Regression = d.Judged && worse(metric, iv)
			if d.Regression {
				res.Verdict = Regression
			}
			c.Metrics = append(c.Metrics, d)
		}
		res.Comparisons = append(res.Comparisons, c)
	}
}

// fillRows writes one row per comparison and metric.
func fillRows(rb *lake.RowBuilder, res *Result, in *inputs, runID string) error {
	now := time.Now()
	var oracles []string
	for _, p := range res.Oracles {
		oracles = append(oracles, p.Name())
	}
	for _, c := range res.Comparisons {
		for _, m := range c.Metrics {
			rb.String("candidate", res.Candidate)
			rb.String("against", c.Against)
			rb.String("metric", m.Metric)
			rb.String("better", m.Better)
			for col, v := range map[string]*float64{"candidate_value": m.Candidate, "against_value": m.Against, "difference": m.Difference,
				"difference_low": m.Low, "difference_high": m.High} {
				if v == nil {
					rb.Null(col)
				} else {
					rb.Double(col, *v)
				}
			}
			rb.Bool("judged", m.Judged)
			rb.Bool("regression", m.Regression)
			rb.String("verdict", res.Verdict)
			rb.String("split", res.Split)
			rb.Long("articles", res.Articles)
			rb.Double("threshold", res.Threshold)
			rb.Long("bootstrap", int64(res.Bootstrap))
			rb.Long("seed", int64(res.Seed))
			rb.String("oracles", strings.Join(oracles, ", "))
			for col, v := range map[string]sql.NullInt64{"predictions_sequence": in.predictions, "labels_sequence": in.labels,
				"splits_sequence": in.splits, "models_sequence": in.models, "model_tags_sequence": in.tags} {
				if v.Valid {
					rb.Long(col, v.Int64)
				} else {
					rb.Null(col)
				}
			}
			rb.Time("gated_at", now)
			rb.String("run_id", runID)
			rb.EndRow()
		}
	}
	return nil
}
