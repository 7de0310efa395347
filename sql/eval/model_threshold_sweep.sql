-- Each model's threshold sweep, by threshold.
-- Reads: eval_threshold_sweep (sql/eval/threshold_sweep.sql).
-- Returns: model, decision_tier, decision_threshold, threshold, predicted, true_positives, positives, precision, recall, f1.
SELECT model, decision_tier, decision_threshold, threshold, predicted, true_positives, positives, precision, recall, f1
FROM eval_threshold_sweep
ORDER BY model, threshold
