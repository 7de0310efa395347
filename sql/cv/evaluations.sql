-- The rows a cross-validation appends to <filter>.evaluations: every fold's
-- rows (split fold1..foldK, as sql/eval/written_rows.sql made them), then,
-- per model, pass (raw, calibrated) and dimension, one pooled row (split
-- cv): each metric the mean of the folds', n, k and relevant their sums, folds their number,
-- and the spread (sample standard deviation) of MAE, Spearman and
-- recall@k. The JSON columns (confusion, threshold_sweep) are per fold only.
-- Reads: cv_written (stages/evaluate.ScoreFolds: eval_written of each fold, in order).
-- Returns: the columns of <filter>.evaluations.
WITH pooled AS (
    SELECT model, 'cv' AS split, dimension, sum(n) AS n,
           avg(mae) AS mae, avg(rmse) AS rmse, avg(bias) AS bias, avg(spearman) AS spearman,
           avg(train_mean) AS train_mean, avg(baseline_mae) AS baseline_mae, avg(baseline_rmse) AS baseline_rmse,
           avg(tier_accuracy) AS tier_accuracy, sum(k) AS k, sum(relevant) AS relevant, avg(recall_at_k) AS recall_at_k,
           any_value(threshold_tier) AS threshold_tier, any_value(threshold) AS threshold,
           avg(precision) AS precision, avg(recall) AS recall,
           any_value(combine) AS combine, any_value(predictions_sequence) AS predictions_sequence,
           any_value(labels_sequence) AS labels_sequence, any_value(splits_sequence) AS splits_sequence,
           max(evaluated_at) AS evaluated_at, any_value(run_id) AS run_id,
           avg(train_median) AS train_median, avg(median_baseline_mae) AS median_baseline_mae,
           avg(ndcg_at_k) AS ndcg_at_k, avg(best_f1_threshold) AS best_f1_threshold, avg(best_f1) AS best_f1,
           any_value(recall_target) AS recall_target, avg(recall_target_threshold) AS recall_target_threshold,
           calibrated, count(*) AS folds,
           stddev_samp(mae) AS mae_sd, stddev_samp(spearman) AS spearman_sd, stddev_samp(recall_at_k) AS recall_at_k_sd,
           min(model_order) AS model_order, min(position) AS position
    FROM cv_written
    GROUP BY model, dimension, calibrated
),
ordered AS (
    SELECT *, 0 AS part, TRY_CAST(substr(split, 5) AS INTEGER) AS fold_no FROM cv_written
    UNION ALL BY NAME
    SELECT *, 1 AS part, 0 AS fold_no FROM pooled
)
SELECT * EXCLUDE (model_order, position, part, fold_no)
FROM ordered
ORDER BY part, fold_no, model_order, calibrated, position NULLS LAST, dimension
