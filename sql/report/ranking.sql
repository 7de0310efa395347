-- The ranking metrics and the threshold sweep's choices of each model's
-- latest evaluation: one row per tier above the bottom one (dimension
-- '_tier:<tier>') with its recall@k and NDCG@k, the sweep's best-F1 and
-- recall-target thresholds repeated on each.
-- Reads: report_evaluations (sql/report/latest_evaluations.sql).
-- Returns: model, tier, k, recall_at_k, ndcg_at_k, best_f1_threshold, best_f1,
--          recall_target, recall_target_threshold; models in the order they
--          were evaluated, then tiers from the highest.
SELECT r.model, r.threshold_tier AS tier, r.k, r.recall_at_k, r.ndcg_at_k,
       t.best_f1_threshold, t.best_f1, t.recall_target, t.recall_target_threshold
FROM report_evaluations r
LEFT JOIN report_evaluations t ON t.model = r.model AND t.dimension = '_tiers'
WHERE starts_with(r.dimension, '_tier:')
ORDER BY r.evaluated_at NULLS FIRST, r.model, r.threshold DESC, r.threshold_tier
