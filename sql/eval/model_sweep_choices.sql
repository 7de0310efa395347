-- The thresholds each model's sweep recommends (best_f1, recall_target).
-- Reads: eval_sweep_choices (sql/eval/sweep_choices.sql).
-- Returns: model, choice, recall_target, threshold, predicted, true_positives, precision, recall, f1.
SELECT model, choice, recall_target, threshold, predicted, true_positives, precision, recall, f1
FROM eval_sweep_choices
ORDER BY model, choice
