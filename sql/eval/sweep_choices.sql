-- The thresholds the sweep recommends: 'best_f1', the threshold with the
-- highest F1, and 'recall_target', the highest threshold whose recall still
-- reaches eval_recall_target (recall only falls as the threshold rises, so
-- it is the most selective threshold that meets the target). Of thresholds
-- that tie, the highest is taken: they pass the same articles here, and it is
-- the most selective. A choice no threshold makes (nothing positive, or the
-- target never reached) has no row.
-- Reads: eval_threshold_sweep (sql/eval/threshold_sweep.sql).
-- Variables: eval_recall_target (DOUBLE: the recall to reach, e.g. 0.9).
-- Returns: model, split, choice, recall_target, threshold, predicted,
--          true_positives, precision, recall, f1; by model, split, choice.
WITH best_f1 AS (
    SELECT 'best_f1' AS choice, *
    FROM eval_threshold_sweep
    WHERE f1 IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY model, split ORDER BY f1 DESC, threshold DESC) = 1
),
for_target AS (
    SELECT 'recall_target' AS choice, *
    FROM eval_threshold_sweep
    WHERE recall >= getvariable('eval_recall_target')
    QUALIFY row_number() OVER (PARTITION BY model, split ORDER BY threshold DESC) = 1
)
SELECT model, split, choice, getvariable('eval_recall_target')::DOUBLE AS recall_target, threshold, predicted,
       true_positives, precision, recall, f1
FROM (SELECT * FROM best_f1 UNION ALL SELECT * FROM for_target)
ORDER BY model, split, choice
