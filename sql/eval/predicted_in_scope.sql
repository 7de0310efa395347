-- How many labeled articles in scope each model has a prediction for.
-- Reads: eval_predictions (sql/eval/latest_predictions.sql), eval_scope (sql/eval/scope.sql),
--        combined_labels (id, ...).
-- Returns: model, articles.
SELECT model, count(*) AS articles
FROM eval_predictions
WHERE id IN (SELECT id FROM eval_scope) AND id IN (SELECT id FROM combined_labels)
GROUP BY model
ORDER BY model
