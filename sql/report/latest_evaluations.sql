-- The latest evaluation of each model on one split: every row of
-- <filter>.evaluations that the most recent run scoring the model on the
-- split wrote. A run's rows share evaluated_at (and run_id, which one
-- process running several evaluations also shares). Older runs stay in the
-- table and its snapshots; the report charts where each model stands now.
-- The rows of a model's calibrated scores (calibrated) come out as those of
-- a model named "<model> calibrated", so that every chart shows them beside
-- the raw ones.
-- Reads: evaluations_input (a snapshot of <filter>.evaluations, with a
--        calibrated column: null in a table from before calibration).
-- Parameters: $split (test, val, train or all).
-- Returns: every column of evaluations_input, for those rows; by model, then dimension.
WITH runs AS (
    SELECT model, run_id, evaluated_at
    FROM evaluations_input
    WHERE split = $split
    GROUP BY model, run_id, evaluated_at
    QUALIFY row_number() OVER (PARTITION BY model ORDER BY evaluated_at DESC NULLS LAST, run_id DESC) = 1
)
SELECT e.* REPLACE (CASE WHEN e.calibrated THEN e.model || ' calibrated' ELSE e.model END AS model)
FROM evaluations_input e
JOIN runs r ON r.model = e.model AND r.run_id IS NOT DISTINCT FROM e.run_id AND r.evaluated_at IS NOT DISTINCT FROM e.evaluated_at
WHERE e.split = $split
ORDER BY e.model, coalesce(e.calibrated, false), e.dimension
