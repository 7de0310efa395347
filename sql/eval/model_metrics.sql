-- Every model's error metrics per dimension, overall and pooled ('_all'),
-- as written to the evaluations table, without the tier-only rows ('_tiers',
-- '_tier:<tier>').
-- Reads: eval_rows (sql/eval/evaluation_rows.sql).
-- Returns: model, dimension, n, mae, rmse, bias, spearman, train_mean, baseline_mae, baseline_rmse,
--          train_median, median_baseline_mae, weighted_mae, effective_n.
SELECT model, dimension, n, mae, rmse, bias, spearman, train_mean, baseline_mae, baseline_rmse,
       train_median, median_baseline_mae, weighted_mae, effective_n
FROM eval_rows
WHERE dimension <> '_tiers' AND NOT starts_with(dimension, '_tier:')
ORDER BY model, position
