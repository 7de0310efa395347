-- Each model's precision and recall at the tier threshold.
-- Reads: eval_threshold_recall (sql/eval/threshold_recall.sql).
-- Returns: model, threshold_tier, threshold, true_positives, false_positives, false_negatives, precision, recall.
SELECT model, threshold_tier, threshold, true_positives, false_positives, false_negatives, precision, recall
FROM eval_threshold_recall
ORDER BY model
