-- The cascade in force: the newest row of distill cascade.
-- Reads: cascades_input (a snapshot of <filter>.cascades).
-- Returns: first_model, threshold, enabled; no row when never run.
SELECT first_model, threshold, enabled
FROM cascades_input
ORDER BY measured_at DESC, run_id DESC
LIMIT 1
