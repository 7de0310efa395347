-- How far each model's scores are from the oracle's, per dimension, for the
-- overall score, and pooled over every score of every dimension (dimension
-- '_all': the figure the reference project reports as "MAE"). Errors are
-- prediction minus oracle: bias > 0 means the model scores too high. The
-- baselines predict every article's training mean, and its training median.
-- Reads: eval_scores (model, split, id, dimension, position, predicted, oracle,
--        baseline, baseline_median: sql/eval/scores.sql, or a predictions
--        file loaded as such).
-- Returns: model, split, dimension, position, n (scores compared), mae, rmse,
--          bias, train_mean, baseline_mae, baseline_rmse, train_median,
--          median_baseline_mae (null without a baseline); ordered by model, split, position ('overall' after the
--          dimensions, '_all' last).
WITH pairs AS (
    SELECT *, predicted - oracle AS err, baseline - oracle AS base_err
    FROM eval_scores
    WHERE predicted IS NOT NULL AND oracle IS NOT NULL
),
per_dimension AS (
    SELECT model, split, dimension, min(position) AS position, count(*) AS n,
           avg(abs(err)) AS mae, sqrt(avg(err * err)) AS rmse, avg(err) AS bias,
           any_value(baseline) AS train_mean,
           avg(abs(base_err)) AS baseline_mae, sqrt(avg(base_err * base_err)) AS baseline_rmse,
           any_value(baseline_median) AS train_median, avg(abs(baseline_median - oracle)) AS median_baseline_mae
    FROM pairs
    GROUP BY model, split, dimension
),
pooled AS (
    SELECT model, split, '_all' AS dimension, max(position) + 2 AS position, count(*) AS n,
           avg(abs(err)) AS mae, sqrt(avg(err * err)) AS rmse, avg(err) AS bias,
           NULL::DOUBLE AS train_mean,
           avg(abs(base_err)) AS baseline_mae, sqrt(avg(base_err * base_err)) AS baseline_rmse,
           NULL::DOUBLE AS train_median, avg(abs(baseline_median - oracle)) AS median_baseline_mae
    FROM pairs
    WHERE dimension <> 'overall'
    GROUP BY model, split
)
SELECT * FROM per_dimension
UNION ALL
SELECT * FROM pooled
ORDER BY model, split, position
