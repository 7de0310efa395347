-- Each model's MAE with every article weighted by 1 / its inclusion
-- probability (sql/eval/article_weights.sql): the Hajek estimate
-- sum(w * |err|) / sum(w) of the MAE over the whole pool the label
-- --select draws chose from, not over the articles they chose; and the
-- effective sample size (sum w)^2 / sum(w^2), the number of equally
-- weighted articles that would estimate as well. Per dimension, for the
-- overall score, and pooled over every dimension ('_all'). Rows only for a
-- model and split whose articles do not all weigh the same: else the
-- weighted MAE is the MAE.
-- Reads: eval_scores (sql/eval/scores.sql),
--        eval_weights (sql/eval/article_weights.sql; an article without a row weighs 1).
-- Returns: model, split, dimension, weighted_mae, effective_n; ordered by model, split, dimension.
WITH pairs AS (
    SELECT s.model, s.split, s.dimension, abs(s.predicted - s.oracle) AS abs_err, coalesce(w.weight, 1) AS weight
    FROM eval_scores s
    LEFT JOIN eval_weights w ON w.id = s.id
    WHERE s.predicted IS NOT NULL AND s.oracle IS NOT NULL
),
unequal AS (
    SELECT model, split FROM pairs GROUP BY model, split HAVING max(weight) - min(weight) > 1e-9 * max(weight)
),
per_dimension AS (
    SELECT model, split, dimension, sum(weight * abs_err) / sum(weight) AS weighted_mae,
           sum(weight) * sum(weight) / sum(weight * weight) AS effective_n
    FROM pairs
    GROUP BY model, split, dimension
),
pooled AS (
    SELECT model, split, '_all' AS dimension, sum(weight * abs_err) / sum(weight) AS weighted_mae,
           sum(weight) * sum(weight) / sum(weight * weight) AS effective_n
    FROM pairs
    WHERE dimension <> 'overall'
    GROUP BY model, split
)
SELECT e.model, e.split, e.dimension, e.weighted_mae, e.effective_n
FROM (SELECT * FROM per_dimension UNION ALL SELECT * FROM pooled) e
SEMI JOIN unequal u ON u.model = e.model AND u.split = e.split
ORDER BY e.model, e.split, e.dimension
