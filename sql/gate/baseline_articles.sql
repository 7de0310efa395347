-- The baselines' errors on each article in scope, as sql/gate/articles.sql
-- gives a model's: predicting every dimension's training mean
-- (baseline:mean) or median (baseline:median), and the training mean or
-- median overall score.
-- Reads: eval_baseline (sql/eval/train_means.sql),
--        eval_scope (id, split: the articles gated),
--        combined_scores (sql/labels/combined_scores.sql),
--        combined_labels (sql/labels/combined_tiers.sql).
-- Returns: model, id, abs_error, predicted_overall, oracle_overall; ordered by
--          model, id; no row without training articles.
WITH errors AS (
    SELECT s.id, avg(abs(b.train_mean - s.score)) AS mean_error, avg(abs(b.train_median - s.score)) AS median_error
    FROM combined_scores s
    JOIN eval_baseline b ON b.dimension = s.dimension
    WHERE s.id IN (SELECT id FROM eval_scope) AND b.train_mean IS NOT NULL
    GROUP BY s.id
),
overall AS (
    SELECT train_mean, train_median FROM eval_baseline WHERE dimension = 'overall' AND train_mean IS NOT NULL
)
SELECT 'baseline:mean' AS model, e.id, e.mean_error AS abs_error, o.train_mean AS predicted_overall, l.overall AS oracle_overall
FROM errors e, overall o, combined_labels l
WHERE l.id = e.id
UNION ALL
SELECT 'baseline:median', e.id, e.median_error, o.train_median, l.overall
FROM errors e, overall o, combined_labels l
WHERE l.id = e.id
ORDER BY model, id
