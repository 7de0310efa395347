-- Spearman rank correlation of each model's scores with the oracle's, per
-- dimension and for the overall score: the Pearson correlation (corr) of the
-- two sides' ranks, tied values sharing their average rank. Null when either
-- side is constant (there is no order to compare) or there are under two
-- articles.
-- Reads: eval_scores (model, split, id, dimension, position, predicted, oracle, baseline).
-- Returns: model, split, dimension, spearman.
WITH pairs AS (
    SELECT model, split, dimension, predicted, oracle
    FROM eval_scores
    WHERE predicted IS NOT NULL AND oracle IS NOT NULL
),
ranked AS (
    SELECT model, split, dimension,
           rank() OVER (PARTITION BY model, split, dimension ORDER BY predicted)
             + (count(*) OVER (PARTITION BY model, split, dimension, predicted) - 1) / 2 AS predicted_rank,
           rank() OVER (PARTITION BY model, split, dimension ORDER BY oracle)
             + (count(*) OVER (PARTITION BY model, split, dimension, oracle) - 1) / 2 AS oracle_rank
    FROM pairs
),
correlated AS (
    SELECT model, split, dimension, corr(predicted_rank, oracle_rank) AS r
    FROM ranked
    GROUP BY model, split, dimension
)
SELECT model, split, dimension, CASE WHEN isnan(r) THEN NULL ELSE r END AS spearman
FROM correlated
ORDER BY model, split, dimension
