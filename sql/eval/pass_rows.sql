-- The rows of the pass that just ran (sql/eval/evaluation_rows.sql) that a
-- run keeps: every raw row, and the calibrated rows of the calibrated
-- models only (for the others the calibrated columns are the raw ones).
-- The rows of the other pass, and so of none when a run has no calibrated
-- model, are dropped: eval_calibrated names the pass.
-- Reads: eval_rows (sql/eval/evaluation_rows.sql),
--        eval_calibrated_models (sql/eval/calibrated_models.sql).
-- Variables: eval_calibrated (BOOLEAN: the pass kept).
-- Returns: the columns of eval_rows.
SELECT *
FROM eval_rows
WHERE calibrated = getvariable('eval_calibrated')
  AND (NOT calibrated OR model IN (SELECT model FROM eval_calibrated_models))
ORDER BY model, split, position
