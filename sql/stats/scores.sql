-- The scores the statistics describe: the long-form combined scores of the
-- articles in stats_articles (every article, or one split's).
-- Reads: combined_scores (id, n_labels, labeled_at, dimension, score: see
--        sql/labels/combined_scores.sql), stats_articles (id, ...).
-- Returns: id, dimension, score.
SELECT id, dimension, score
FROM combined_scores
WHERE id IN (SELECT id FROM stats_articles)
