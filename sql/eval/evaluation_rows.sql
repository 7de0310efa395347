-- The rows of <filter>.evaluations for one run, before its lineage columns:
-- one per model, split and dimension with the error metrics (the filter's
-- dimensions, 'overall' for the overall score, '_all' for every score of
-- every dimension pooled), and one per model and split with dimension
-- '_tiers' carrying the tier metrics and the confusion matrix as JSON: a list
-- of {"oracle", "predicted", "articles"} cells, every pair of tiers, from the
-- highest. A metric that does not apply to a row is null.
-- Reads: eval_dimension_errors (sql/eval/dimension_errors.sql),
--        eval_spearman (sql/eval/spearman.sql),
--        eval_tier_accuracy (sql/eval/tier_accuracy.sql),
--        eval_recall_at_k (sql/eval/recall_at_k.sql),
--        eval_threshold_recall (sql/eval/threshold_recall.sql),
--        eval_tier_confusion (sql/eval/tier_confusion.sql).
-- Returns: model, split, dimension, position, n, mae, rmse, bias, spearman,
--          train_mean, baseline_mae, baseline_rmse, tier_accuracy, k, relevant,
--          recall_at_k, threshold_tier, threshold, precision, recall, confusion,
--          train_median, median_baseline_mae.
WITH confusion AS (
    SELECT model, split,
           to_json(list({'oracle': oracle_tier, 'predicted': predicted_tier, 'articles': articles}
                        ORDER BY oracle_rank, predicted_rank))::VARCHAR AS confusion
    FROM eval_tier_confusion
    GROUP BY model, split
)
SELECT e.model, e.split, e.dimension, e.position, e.n, e.mae, e.rmse, e.bias, s.spearman,
       e.train_mean, e.baseline_mae, e.baseline_rmse,
       NULL::DOUBLE AS tier_accuracy, NULL::BIGINT AS k, NULL::BIGINT AS relevant, NULL::DOUBLE AS recall_at_k,
       NULL::VARCHAR AS threshold_tier, NULL::DOUBLE AS threshold, NULL::DOUBLE AS precision, NULL::DOUBLE AS recall,
       NULL::VARCHAR AS confusion, e.train_median, e.median_baseline_mae
FROM eval_dimension_errors e
LEFT JOIN eval_spearman s ON s.model = e.model AND s.split = e.split AND s.dimension = e.dimension
UNION ALL
SELECT a.model, a.split, '_tiers', (SELECT max(position) + 1 FROM eval_dimension_errors), a.articles,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       a.tier_accuracy, r.k, r.relevant, r.recall_at_k,
       t.threshold_tier, t.threshold, t.precision, t.recall,
       c.confusion, NULL, NULL
FROM eval_tier_accuracy a
LEFT JOIN eval_recall_at_k r ON r.model = a.model AND r.split = a.split
LEFT JOIN eval_threshold_recall t ON t.model = a.model AND t.split = a.split
LEFT JOIN confusion c ON c.model = a.model AND c.split = a.split
ORDER BY 1, 2, 4
