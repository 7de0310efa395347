-- The rows a run appends to <filter>.evaluations, in the order written:
-- each model's rows in the order of --model then --compare, its raw rows
-- before its calibrated ones.
-- Reads: eval_written (sql/eval/written_rows.sql).
-- Returns: the columns of <filter>.evaluations.
SELECT * EXCLUDE (model_order, position)
FROM eval_written
ORDER BY model_order, calibrated, position
