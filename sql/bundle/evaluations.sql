-- A model's latest evaluation of each split (distill model describe): every
-- row of the newest eval run per split.
-- Reads: evaluations_input (a snapshot of <filter>.evaluations).
-- Parameters: $id (the model).
-- Returns: split, dimension, calibrated, n, mae, spearman, tier_accuracy,
--          evaluated_at, run_id, ordered by split, calibrated, dimension.
SELECT split, dimension, calibrated, n, mae, spearman, tier_accuracy, evaluated_at, run_id
FROM evaluations_input
WHERE model = $id
QUALIFY dense_rank() OVER (PARTITION BY split ORDER BY evaluated_at DESC, run_id DESC) = 1
ORDER BY split, calibrated, dimension
