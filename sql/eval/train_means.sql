-- The baselines: each dimension's mean and median oracle score over the
-- training articles, and their mean and median overall score (dimension
-- 'overall'). A student that does not beat them has learned nothing per
-- article; for MAE the median is the best constant (on the reference
-- project's ai-engineering-practice labels it beats the mean and the student).
-- Reads: combined_scores (sql/labels/combined_scores.sql),
--        combined_labels (sql/labels/combined_tiers.sql),
--        eval_train (id: the training articles, those left out by --balance excepted).
-- Returns: dimension, train_mean (null when there are no training articles),
--          train_articles, train_median.
SELECT dimension, avg(score) AS train_mean, count(score) AS train_articles, median(score) AS train_median
FROM combined_scores
WHERE id IN (SELECT id FROM eval_train)
GROUP BY dimension
UNION ALL
SELECT 'overall', avg(overall), count(overall), median(overall)
FROM combined_labels
WHERE id IN (SELECT id FROM eval_train)
