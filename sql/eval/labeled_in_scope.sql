-- How many articles in scope the oracle labeled: the denominator of the
-- coverage warnings and the rows a run reads.
-- Reads: eval_scope (sql/eval/scope.sql), combined_labels (id, ...).
-- Returns: articles (one row).
SELECT count(*) AS articles
FROM eval_scope
WHERE id IN (SELECT id FROM combined_labels)
