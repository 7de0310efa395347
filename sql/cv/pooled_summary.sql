-- Cross-validation's headline figures: for every dimension's scores pooled
-- (_all) and the tiers (_tiers), the mean over the folds and its spread,
-- raw first, then calibrated.
-- Reads: cv_written (stages/evaluate.ScoreFolds).
-- Returns: calibrated, mae, mae_sd, baseline_mae, median_baseline_mae,
--          recall_at_k, recall_at_k_sd.
WITH a AS (
    SELECT calibrated, avg(mae) AS mae, stddev_samp(mae) AS mae_sd, avg(baseline_mae) AS baseline_mae,
           avg(median_baseline_mae) AS median_baseline_mae
    FROM cv_written WHERE dimension = '_all' GROUP BY calibrated
),
t AS (
    SELECT calibrated, avg(recall_at_k) AS recall_at_k, stddev_samp(recall_at_k) AS recall_at_k_sd
    FROM cv_written WHERE dimension = '_tiers' GROUP BY calibrated
)
SELECT a.calibrated, a.mae, a.mae_sd, a.baseline_mae, a.median_baseline_mae, t.recall_at_k, t.recall_at_k_sd
FROM a LEFT JOIN t USING (calibrated)
ORDER BY a.calibrated
