package evaluate

import (
	"context"
	"database/sql"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
)

// scorePasses computes every metric of res.Models from the raw student
// output (eval_predictions and eval_articles are made, from the raw
// columns), then, for the models whose predictions are calibrated, again
// from the calibrated columns into Model.Calibrated. The rows each pass
// keeps end in eval_rows_raw and eval_rows_calibrated, which
// sql/eval/written_rows.sql reads.
func scorePasses(ctx context.Context, sess *lake.Session, tiers []filters.Tier, recallTarget float64, res *Result) error {
	if err := sess.TempTable(ctx, "eval_calibrated_models", "eval/calibrated_models", nil); err != nil {
		return err
	}
	raw := map[string]*Model{}
	for i := range res.Models {
		raw[res.Models[i].Model] = &res.Models[i]
	}
	calibrated := map[string]*Model{}
	if err := sess.EachFile(ctx, "eval/calibrated_models", nil, func(r *sql.Rows) error {
		var model string
		var name sql.NullString
		if err := r.Scan(&model, &name); err != nil {
			return err
		}
		m := raw[model]
		m.Calibration = name.String
		m.Calibrated = &Model{Model: m.Model, Split: m.Split, Calibration: name.String, Dimensions: []Metrics{}}
		calibrated[model] = m.Calibrated
		return nil
	}); err != nil {
		return err
	}
	if err := scorePass(ctx, sess, tiers, recallTarget, raw, "eval_rows_raw"); err != nil {
		return err
	}
	if err := sess.SetVariables(ctx, lake.Vars{"eval_calibrated": true}); err != nil {
		return err
	}
	if len(calibrated) == 0 {
		// eval_rows holds the raw pass: kept as the calibrated pass, none of it is.
		return sess.TempTable(ctx, "eval_rows_calibrated", "eval/pass_rows", nil)
	}
	if err := create(ctx, sess, "eval_predictions", "eval/latest_predictions", "eval_articles", "eval/articles"); err != nil {
		return err
	}
	return scorePass(ctx, sess, tiers, recallTarget, calibrated, "eval_rows_calibrated")
}

// scorePass computes the metrics of eval_articles and eval_predictions,
// reads them into the models, and keeps the pass's rows in table kept.
func scorePass(ctx context.Context, sess *lake.Session, tiers []filters.Tier, recallTarget float64, models map[string]*Model, kept string) error {
	if err := create(ctx, sess,
		"eval_baseline", "eval/train_means",
		"eval_scores", "eval/scores",
		"eval_weights", "eval/article_weights",
		"eval_weighted_errors", "eval/weighted_errors",
		"eval_dimension_errors", "eval/dimension_errors",
		"eval_spearman", "eval/spearman",
		"eval_tier_confusion", "eval/tier_confusion",
		"eval_tier_accuracy", "eval/tier_accuracy",
		"eval_recall_at_k", "eval/recall_at_k",
		"eval_threshold_recall", "eval/threshold_recall",
		"eval_tier_ranking", "eval/tier_ranking",
		"eval_threshold_sweep", "eval/threshold_sweep",
		"eval_sweep_choices", "eval/sweep_choices",
		"eval_rows", "eval/evaluation_rows",
		kept, "eval/pass_rows",
	); err != nil {
		return err
	}
	if err := readMetrics(ctx, sess, models); err != nil {
		return err
	}
	if err := readTiers(ctx, sess, tiers, models); err != nil {
		return err
	}
	if err := readRanking(ctx, sess, models); err != nil {
		return err
	}
	return readSweep(ctx, sess, recallTarget, models)
}
