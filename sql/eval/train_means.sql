-- The "predict the training mean" baseline: each dimension's mean oracle
-- score over the training articles, and their mean overall score (dimension
-- 'overall'). A student that does not beat it has learned nothing per article.
-- Reads: combined_scores (sql/labels/combined_scores.sql),
--        combined_labels (sql/labels/combined_tiers.sql),
--        eval_train (id: the training articles, those left out by --balance excepted).
-- Returns: dimension, train_mean (null when there are no training articles),
--          train_articles.
SELECT dimension, avg(score) AS train_mean, count(score) AS train_articles
FROM combined_scores
WHERE id IN (SELECT id FROM eval_train)
GROUP BY dimension
UNION ALL
SELECT 'overall', avg(overall), count(overall)
FROM combined_labels
WHERE id IN (SELECT id FROM eval_train)
