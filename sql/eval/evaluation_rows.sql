-- The rows of <filter>.evaluations for one pass of a run (raw or calibrated
-- scores, as eval_calibrated says), before its lineage columns: one per
-- model, split and dimension with the error metrics (the filter's
-- dimensions, 'overall' for the overall score, '_all' for every score of
-- every dimension pooled); one per model and split with dimension '_tiers'
-- carrying the tier metrics, the confusion matrix as JSON (a list of
-- {"oracle", "predicted", "articles"} cells, every pair of tiers, from the
-- highest), NDCG@k beside recall@k, and the threshold sweep as JSON (a list
-- of {"threshold", "predicted", "true_positives", "precision", "recall",
-- "f1"}, by threshold) with its best-F1 and recall-target thresholds; and
-- one per model, split and tier above the bottom one with dimension
-- '_tier:<tier>' carrying that tier's k, relevant, recall_at_k and
-- ndcg_at_k (threshold_tier and threshold name the tier and its min_score).
-- A metric that does not apply to a row is null.
-- Reads: eval_dimension_errors (sql/eval/dimension_errors.sql),
--        eval_spearman (sql/eval/spearman.sql),
--        eval_tier_accuracy (sql/eval/tier_accuracy.sql),
--        eval_recall_at_k (sql/eval/recall_at_k.sql),
--        eval_threshold_recall (sql/eval/threshold_recall.sql),
--        eval_tier_confusion (sql/eval/tier_confusion.sql),
--        eval_tier_ranking (sql/eval/tier_ranking.sql),
--        eval_threshold_sweep (sql/eval/threshold_sweep.sql),
--        eval_sweep_choices (sql/eval/sweep_choices.sql),
--        eval_weighted_errors (sql/eval/weighted_errors.sql).
-- Variables: eval_calibrated (BOOLEAN: the pass scores the calibrated columns),
--            eval_recall_target (DOUBLE).
-- Returns: model, split, dimension, position, n, mae, rmse, bias, spearman,
--          train_mean, baseline_mae, baseline_rmse, tier_accuracy, k, relevant,
--          recall_at_k, threshold_tier, threshold, precision, recall, confusion,
--          train_median, median_baseline_mae, ndcg_at_k, threshold_sweep,
--          best_f1_threshold, best_f1, recall_target, recall_target_threshold,
--          calibrated, weighted_mae, effective_n (null unless the articles'
--          weights differ: labels chosen by label --select).
WITH confusion AS (
    SELECT model, split,
           to_json(list({'oracle': oracle_tier, 'predicted': predicted_tier, 'articles': articles}
                        ORDER BY oracle_rank, predicted_rank))::VARCHAR AS confusion
    FROM eval_tier_confusion
    GROUP BY model, split
),
sweep AS (
    SELECT model, split,
           to_json(list({'threshold': threshold, 'predicted': predicted, 'true_positives': true_positives,
                         'precision': precision, 'recall': recall, 'f1': f1} ORDER BY threshold))::VARCHAR AS threshold_sweep
    FROM eval_threshold_sweep
    GROUP BY model, split
),
decision AS (
    SELECT model, split, ndcg_at_k
    FROM eval_tier_ranking
    QUALIFY row_number() OVER (PARTITION BY model, split ORDER BY tier_rank DESC) = 1
),
tiers_position AS (
    SELECT max(position) + 1 AS position FROM eval_dimension_errors
)
SELECT e.model, e.split, e.dimension, e.position, e.n, e.mae, e.rmse, e.bias, s.spearman,
       e.train_mean, e.baseline_mae, e.baseline_rmse,
       NULL::DOUBLE AS tier_accuracy, NULL::BIGINT AS k, NULL::BIGINT AS relevant, NULL::DOUBLE AS recall_at_k,
       NULL::VARCHAR AS threshold_tier, NULL::DOUBLE AS threshold, NULL::DOUBLE AS precision, NULL::DOUBLE AS recall,
       NULL::VARCHAR AS confusion, e.train_median, e.median_baseline_mae,
       NULL::DOUBLE AS ndcg_at_k, NULL::VARCHAR AS threshold_sweep, NULL::DOUBLE AS best_f1_threshold,
       NULL::DOUBLE AS best_f1, NULL::DOUBLE AS recall_target, NULL::DOUBLE AS recall_target_threshold,
       getvariable('eval_calibrated')::BOOLEAN AS calibrated, we.weighted_mae, we.effective_n
FROM eval_dimension_errors e
LEFT JOIN eval_spearman s ON s.model = e.model AND s.split = e.split AND s.dimension = e.dimension
LEFT JOIN eval_weighted_errors we ON we.model = e.model AND we.split = e.split AND we.dimension = e.dimension
UNION ALL
SELECT a.model, a.split, '_tiers', (SELECT position FROM tiers_position), a.articles,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       a.tier_accuracy, r.k, r.relevant, r.recall_at_k,
       t.threshold_tier, t.threshold, t.precision, t.recall,
       c.confusion, NULL, NULL,
       d.ndcg_at_k, w.threshold_sweep, b.threshold, b.f1,
       getvariable('eval_recall_target')::DOUBLE, g.threshold,
       getvariable('eval_calibrated')::BOOLEAN, NULL::DOUBLE, NULL::DOUBLE
FROM eval_tier_accuracy a
LEFT JOIN eval_recall_at_k r ON r.model = a.model AND r.split = a.split
LEFT JOIN eval_threshold_recall t ON t.model = a.model AND t.split = a.split
LEFT JOIN confusion c ON c.model = a.model AND c.split = a.split
LEFT JOIN decision d ON d.model = a.model AND d.split = a.split
LEFT JOIN sweep w ON w.model = a.model AND w.split = a.split
LEFT JOIN eval_sweep_choices b ON b.model = a.model AND b.split = a.split AND b.choice = 'best_f1'
LEFT JOIN eval_sweep_choices g ON g.model = a.model AND g.split = a.split AND g.choice = 'recall_target'
UNION ALL
SELECT model, split, '_tier:' || tier, (SELECT position FROM tiers_position) + tier_rank, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, k, relevant, recall_at_k,
       tier, min_score, NULL, NULL,
       NULL, NULL, NULL,
       ndcg_at_k, NULL, NULL, NULL,
       NULL, NULL,
       getvariable('eval_calibrated')::BOOLEAN, NULL, NULL
FROM eval_tier_ranking
ORDER BY 1, 2, 4
