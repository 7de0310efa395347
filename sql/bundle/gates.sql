-- A model's gate verdicts (distill model describe): every row of the newest
-- gate run that had it as the candidate.
-- Reads: gates_input (a snapshot of <filter>.gates).
-- Parameters: $id (the candidate model).
-- Returns: against, metric, candidate_value, against_value, difference,
--          difference_low, difference_high, regression, verdict, gated_at,
--          run_id, ordered by against, metric.
SELECT against, metric, candidate_value, against_value, difference, difference_low, difference_high,
       regression, verdict, gated_at, run_id
FROM gates_input
WHERE candidate = $id
QUALIFY dense_rank() OVER (ORDER BY gated_at DESC, run_id DESC) = 1
ORDER BY against, metric
