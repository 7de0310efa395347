-- The evaluated models whose predictions are calibrated: those with a raw
-- column set on any prediction read (contract of <filter>.predictions: the
-- *_raw columns are null when the model has no calibration). Their metrics
-- are computed twice, from the raw columns and from the calibrated ones.
-- Reads: eval_predictions (sql/eval/latest_predictions.sql).
-- Returns: model, calibration (the name of the latest calibration applied;
--          null when the rows name none).
SELECT model, arg_max(calibration, predicted_at) FILTER (WHERE calibration IS NOT NULL) AS calibration
FROM eval_predictions
WHERE has_raw
GROUP BY model
ORDER BY model
