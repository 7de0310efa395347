-- How many training articles the "predict the training mean" baseline is
-- taken over (0 without splits or training articles: no baseline then).
-- Reads: eval_baseline (sql/eval/train_means.sql).
-- Returns: train_articles (one row, or none when there is no overall baseline row).
SELECT train_articles
FROM eval_baseline
WHERE dimension = 'overall'
