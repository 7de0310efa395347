-- A student's newest prediction of each article, for label --select
-- upper|uncertain: its overall score and tier (calibrated, when the model
-- is).
-- Reads: predictions_input (a snapshot of <filter>.predictions).
-- Parameters: $model (VARCHAR).
-- Returns: id, overall, tier.
SELECT id, overall, tier
FROM predictions_input
WHERE model = $model AND overall IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY id ORDER BY predicted_at DESC NULLS LAST, run_id DESC NULLS LAST) = 1
