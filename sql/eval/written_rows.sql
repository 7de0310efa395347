-- The rows an evaluation appends to <filter>.evaluations: those of its raw
-- pass and of its calibrated pass (sql/eval/pass_rows.sql) with the run's
-- lineage columns, in the order written.
-- Reads: eval_rows_raw, eval_rows_calibrated (sql/eval/pass_rows.sql).
-- Parameters: $models (VARCHAR[]: the model, then the --compare model if any),
--             $combine (VARCHAR), $predictions_sequence, $labels_sequence (BIGINT),
--             $splits_sequence (BIGINT, NULL without splits), $run_id (VARCHAR).
-- Returns: the columns of <filter>.evaluations, then model_order and position (to order by).
WITH kept AS (
    SELECT * FROM eval_rows_raw
    UNION ALL
    SELECT * FROM eval_rows_calibrated
)
SELECT model, split, dimension,
       CASE WHEN len($models::VARCHAR[]) = 2
            THEN CASE model WHEN ($models::VARCHAR[])[1] THEN ($models::VARCHAR[])[2] ELSE ($models::VARCHAR[])[1] END
       END AS compared_with,
       n, mae, rmse, bias, spearman, train_mean, baseline_mae, baseline_rmse, tier_accuracy, k, relevant,
       recall_at_k, threshold_tier, threshold, precision, recall, confusion,
       $combine::VARCHAR AS combine, $predictions_sequence::BIGINT AS predictions_sequence,
       $labels_sequence::BIGINT AS labels_sequence, $splits_sequence::BIGINT AS splits_sequence,
       now() AS evaluated_at, $run_id::VARCHAR AS run_id, train_median, median_baseline_mae,
       ndcg_at_k, threshold_sweep, best_f1_threshold, best_f1, recall_target, recall_target_threshold, calibrated,
       weighted_mae, effective_n,
       list_position($models::VARCHAR[], model) AS model_order, position
FROM kept
