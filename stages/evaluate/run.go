// Package evaluate scores a student model's predictions against the oracle's
// labels: per dimension MAE, RMSE, bias and Spearman rank correlation next to
// the "predict the training mean" baseline, the overall score's errors, tier
// accuracy and confusion, recall@k and precision/recall at a tier threshold.
// Every number comes from the SQL under sql/eval/; Run writes them to
// <filter>.evaluations as one snapshot. RunFile scores a predictions file
// (the reference project's test_set_predictions.json) without a lake.
package evaluate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/distillery/distillery"
	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Run evaluates opts.Model (and opts.Compare) on opts.Split and appends the
// metrics to <filter>.evaluations.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	ns := f.Namespace()
	models := opts.models()
	sess, err := l.Session(ctx, ns)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	res := &Result{Summary: spec.Start(spec.Eval, l.RunID), Filter: fmt.Sprintf("%s/v%d", f.Name, f.Version), Split: opts.Split, Combine: opts.Combine}

	modelsSnap, err := checkModels(ctx, sess, spec.Models.For(f), models)
	if err != nil {
		return nil, err
	}
	res.ModelsTable = modelsSnap.Ref().String()
	prep, err := curate.Prepare(ctx, sess, f, opts.Labels, opts.Combine)
	if err != nil {
		return nil, err
	}
	res.Labels = prep.Labels.Ref().String()
	predRel, predSnap, err := sess.Relation(ctx, opts.Predictions)
	if errors.Is(err, lake.ErrNoTable) || err == nil && predSnap == nil {
		return nil, spec.Need(spec.Predictions, ns, fmt.Sprintf("%s: %s has no snapshot yet", ErrNoPredictions, opts.Predictions), ErrNoPredictions)
	}
	if err != nil {
		return nil, err
	}
	res.Predictions = predSnap.Ref().String()
	predRel, err = curate.PredictionsRelation(ctx, sess, predRel, res.Predictions, f.DimensionNames())
	if err != nil {
		return nil, err
	}
	splitsRel, splitsSnap, err := sess.Relation(ctx, opts.Splits)
	if err != nil && !errors.Is(err, lake.ErrNoTable) {
		return nil, err
	}
	inputs := []lake.Snapshot{*predSnap, *prep.Labels, *modelsSnap}
	var splitsSeq any // NULL without splits
	if splitsSnap != nil {
		res.Splits = splitsSnap.Ref().String()
		inputs = append(inputs, *splitsSnap)
		splitsSeq = splitsSnap.Seq
	} else if opts.Split != All {
		return nil, spec.Need(spec.Splits, ns, fmt.Sprintf("%s: --split %s needs %s (or evaluate --split all)", ErrNoSplits, opts.Split, opts.Splits), ErrNoSplits)
	} else {
		splitsRel = "(SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS split, NULL::BOOLEAN AS balanced_out WHERE false)"
	}
	if err := sess.SetVariables(ctx, lake.Vars{"eval_models": models, "eval_k": int64(opts.K), "eval_recall_target": opts.RecallTarget,
		"eval_raw_dimensions": curate.RawColumns(f.DimensionNames()), "eval_calibrated": false}); err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "predictions_input", predRel); err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "splits_input", splitsRel); err != nil {
		return nil, err
	}
	if err := sess.TempTable(ctx, "eval_scope", "eval/scope", lake.Params{"split": opts.Split}); err != nil {
		return nil, err
	}
	if splitsSnap != nil && (opts.Split == Test || opts.Split == Val) {
		seen, err := leaveOutSeen(ctx, sess, opts, models, splitsSnap, res)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, seen...)
	}
	if err := create(ctx, sess, "eval_train", "eval/train_articles", "eval_upper_tiers", "eval/upper_tiers",
		"eval_predictions", "eval/latest_predictions", "eval_articles", "eval/articles"); err != nil {
		return nil, err
	}
	if err := coverage(ctx, sess, opts, res); err != nil {
		return nil, err
	}
	for _, m := range models {
		res.Models = append(res.Models, Model{Model: m, Split: opts.Split, Dimensions: []Metrics{}})
	}
	if err := scorePasses(ctx, sess, f.Tiers, opts.RecallTarget, res); err != nil {
		return nil, err
	}
	if err := readWeighting(ctx, sess, res); err != nil {
		return nil, err
	}
	var trained int64
	if err := sess.QueryRowFile(ctx, "eval/baseline_articles", nil, &trained); err != nil {
		return nil, err
	}
	if trained == 0 {
		where := "no splits table"
		if res.Splits != "" {
			where = "no training article in " + res.Splits
		}
		res.Warnings = append(res.Warnings, where+": the training-mean baseline is not available")
	}
	if res.NoiseFloor, err = curate.NoiseFloor(ctx, l, sess, f, prep.Labels.Ref(), opts.Combine); err != nil {
		return nil, err
	}
	if res.Cascade, err = readCascade(ctx, sess, f); err != nil {
		return nil, err
	}

	// One snapshot of <filter>.evaluations per run.
	out := spec.Evaluations.In(ns)
	if err := spec.Evaluations.Ensure(ctx, l, f); err != nil {
		return nil, err
	}
	// Each run appends rows under its own run id, so two at once cannot
	// clash on the key; they still take turns, as every writer does.
	lock, err := spec.Eval.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if err := sess.TempTable(ctx, "eval_written", "eval/written_rows", lake.Params{
		"models": models, "combine": opts.Combine, "predictions_sequence": predSnap.Seq, "labels_sequence": prep.Labels.Seq,
		"splits_sequence": splitsSeq, "run_id": l.RunID,
	}); err != nil {
		return nil, err
	}
	pending, err := sess.WriteQuery(ctx, out, distillery.SQL("eval/evaluations"))
	if err != nil {
		return nil, err
	}
	snap, err := pending.Commit(ctx, lake.Commit{Stage: spec.Eval.Name, Inputs: inputs, Filter: f.Ref(), Params: map[string]any{
		"model": opts.Model, "compare": opts.Compare, "split": opts.Split, "combine": opts.Combine, "k": opts.K,
		"recall_target": opts.RecallTarget,
	}})
	if err != nil {
		return nil, err
	}
	res.RowsIn, res.RowsOut = res.InScope, pending.Rows()
	res.SetInputs(inputs...)
	res.Finish(out, snap, start)
	return res, nil
}

// checkModels returns the models snapshot read, or an error naming the
// models that are not in it.
func checkModels(ctx context.Context, sess *lake.Session, table lake.TableName, models []string) (*lake.Snapshot, error) {
	rel, snap, err := sess.Relation(ctx, lake.Ref{TableName: table})
	if errors.Is(err, lake.ErrNoTable) || err == nil && snap == nil {
		return nil, spec.Need(spec.Models, table.Namespace, fmt.Sprintf("%s %s: %s has no models yet", ErrNoModel, models[0], table), ErrNoModel)
	}
	if err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "models_input", rel); err != nil {
		return nil, err
	}
	known := map[string]bool{}
	if err := sess.EachFile(ctx, "eval/model_ids", nil, func(rows *sql.Rows) error {
		var id sql.NullString
		if err := rows.Scan(&id); err != nil {
			return err
		}
		if id.Valid {
			known[id.String] = true
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", snap.Ref(), err)
	}
	for _, m := range models {
		if known[m] {
			continue
		}
		ids := make([]string, 0, len(known))
		for id := range known {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		if len(ids) > 10 {
			ids = append(ids[:10], "…")
		}
		return nil, fmt.Errorf("%w %q in %s (models: %s)", ErrNoModel, m, snap.Ref(), strings.Join(ids, ", "))
	}
	return snap, nil
}

// coverage counts the articles in scope and what each model predicted of
// them, warns about what is left out, and fails when nothing is left.
func coverage(ctx context.Context, sess *lake.Session, opts Options, res *Result) error {
	if err := sess.QueryRowFile(ctx, "eval/labeled_in_scope", nil, &res.InScope); err != nil {
		return err
	}
	predicted, err := countBy(ctx, sess, "eval/predicted_in_scope")
	if err != nil {
		return err
	}
	evaluated, err := countBy(ctx, sess, "eval/articles_by_model")
	if err != nil {
		return err
	}
	scope := human.Plural(res.InScope, "labeled "+opts.Split+" article")
	if opts.Split == All {
		scope = human.Plural(res.InScope, "labeled article")
	}
	for _, m := range opts.models() {
		switch {
		case predicted[m] == 0:
			return spec.Need(spec.Predictions, opts.Filter.Namespace(), fmt.Sprintf("%s: %s has no prediction of model %s for the %s", ErrNoPredictions, res.Predictions, m, scope), ErrNoPredictions)
		case evaluated[m] == 0:
			return fmt.Errorf("%w: models %s and %s predicted no article of the %s in common", ErrNoPredictions, opts.Model, opts.Compare, scope)
		}
		if predicted[m] < res.InScope {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s predicted %d of the %s: %s not scored", m, predicted[m], scope, human.Plural(res.InScope-predicted[m], "article")))
		}
		if evaluated[m] < predicted[m] {
			res.Warnings = append(res.Warnings, fmt.Sprintf("--compare: left out %s that %s predicted and the other model did not, so both are scored on the same %d", human.Plural(predicted[m]-evaluated[m], "article"), m, evaluated[m]))
		}
	}
	if opts.Split == All {
		return nil
	}
	return sess.EachFile(ctx, "eval/moved_articles", nil, func(rows *sql.Rows) error {
		var m, was string
		var n int64
		if err := rows.Scan(&m, &was, &n); err != nil {
			return err
		}
		were, them := "were", "them"
		if n == 1 {
			were, them = "was", "it"
		}
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %d of the %s articles %s in %s when predicted (the split was remade since, e.g. with --fresh): if the model trained on %s, its %s scores are too good", m, n, opts.Split, were, was, them, opts.Split))
		return nil
	})
}

// countBy runs sql/<file>.sql, which returns (key, count) rows, as a map.
func countBy(ctx context.Context, sess *lake.Session, file string) (map[string]int64, error) {
	out := map[string]int64{}
	err := sess.EachFile(ctx, file, nil, func(rows *sql.Rows) error {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		out[k] = n
		return nil
	})
	return out, err
}

// create makes a temporary table of each (table, sql/<name>.sql) pair, in order.
func create(ctx context.Context, sess *lake.Session, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := sess.TempTable(ctx, pairs[i], pairs[i+1], nil); err != nil {
			return err
		}
	}
	return nil
}

// leaveOutSeen drops from eval_scope the test (or val) articles a model
// trained or chose on under the split it trained with
// (curate.LeaveOutSeen): after a new split, scored on what it learned a
// model looks better than it is. It warns what was left out, fails when
// nothing is left, and returns the split snapshots it read.
func leaveOutSeen(ctx context.Context, sess *lake.Session, opts Options, models []string, current *lake.Snapshot, res *Result) ([]lake.Snapshot, error) {
	seen, err := curate.LeaveOutSeen(ctx, sess, opts.Filter, models, current.Seq)
	if err != nil {
		return nil, err
	}
	for _, u := range seen.Unread {
		res.Warnings = append(res.Warnings, fmt.Sprintf("could not read the split %s trained with: articles it trained on may be among those scored", u))
	}
	if !seen.Any() {
		return seen.Inputs, nil
	}
	what := seen.Sentence(opts.Split)
	if seen.Left == 0 {
		return nil, fmt.Errorf("%s; every one was, so no %s article is left that the model has not seen: train it with the current split (%s), or evaluate --split all", what, opts.Split, current.Ref())
	}
	res.Warnings = append(res.Warnings, fmt.Sprintf("%s; a model scored on what it learned looks better than it is, so they are left out and eval scores the other %d", what, seen.Left))
	return seen.Inputs, nil
}
