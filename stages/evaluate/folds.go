package evaluate

import (
	"context"
	"fmt"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
)

// FoldInputs say what ScoreFolds scores and the lineage of its rows.
type FoldInputs struct {
	Filter *filters.Filter
	// Model is the id the out-of-fold predictions carry; Folds is K.
	Model string
	Folds int
	// K is recall@k's k (0: the relevant articles); RecallTarget the sweep's.
	K            int
	RecallTarget float64
	Combine      string
	// The snapshots read, recorded in every row.
	PredictionsSeq, LabelsSeq, SplitsSeq int64
	RunID                                string
}

// ScoreFolds scores a cross-validation's out-of-fold predictions fold by
// fold, with every metric eval computes: fold k's articles are scored as
// the split "fold<k>", and the baselines predict the mean and median of
// the other folds (the articles fold k's model learned from, its
// validation fold included). sess must hold the combined labels
// (curate.Prepare), predictions_input (the predictions, see
// curate.PredictionsRelation) and cv_folds (id, fold). The rows for
// <filter>.evaluations accumulate in the temporary table cv_written, in
// the order to write; each fold's figures are returned, fold 1 first.
func ScoreFolds(ctx context.Context, sess *lake.Session, in FoldInputs) ([]Model, error) {
	if in.RecallTarget == 0 {
		in.RecallTarget = DefaultRecallTarget
	}
	err := sess.SetVariables(ctx, lake.Vars{"eval_models": []string{in.Model}, "eval_k": int64(in.K), "eval_recall_target": in.RecallTarget,
		"eval_raw_dimensions": curate.RawColumns(in.Filter.DimensionNames())})
	if err != nil {
		return nil, err
	}
	var out []Model
	for k := 1; k <= in.Folds; k++ {
		split := fmt.Sprintf("fold%d", k)
		if err := sess.SetVariables(ctx, lake.Vars{"eval_calibrated": false}); err != nil {
			return nil, err
		}
		splits := fmt.Sprintf("(SELECT id, CASE WHEN fold = %d THEN '%s' ELSE 'train' END AS split, false AS balanced_out FROM cv_folds)", k, split)
		if err := sess.Input(ctx, "splits_input", splits); err != nil {
			return nil, err
		}
		if err := sess.TempTable(ctx, "eval_scope", "eval/scope", lake.Params{"split": split}); err != nil {
			return nil, err
		}
		if err := create(ctx, sess, "eval_train", "eval/train_articles", "eval_upper_tiers", "eval/upper_tiers",
			"eval_predictions", "eval/latest_predictions", "eval_articles", "eval/articles"); err != nil {
			return nil, err
		}
		res := &Result{Models: []Model{{Model: in.Model, Split: split, Dimensions: []Metrics{}}}}
		if err := scorePasses(ctx, sess, in.Filter.Tiers, in.RecallTarget, res); err != nil {
			return nil, fmt.Errorf("%s: %w", split, err)
		}
		if err := sess.TempTable(ctx, "eval_written", "eval/written_rows", lake.Params{
			"models": []string{in.Model}, "combine": in.Combine, "predictions_sequence": in.PredictionsSeq, "labels_sequence": in.LabelsSeq,
			"splits_sequence": in.SplitsSeq, "run_id": in.RunID,
		}); err != nil {
			return nil, err
		}
		stmt := "INSERT INTO cv_written SELECT * FROM eval_written"
		if k == 1 {
			stmt = "CREATE OR REPLACE TEMP TABLE cv_written AS SELECT * FROM eval_written"
		}
		if err := sess.ExecAll(ctx, stmt); err != nil {
			return nil, err
		}
		out = append(out, res.Models[0])
	}
	return out, nil
}
