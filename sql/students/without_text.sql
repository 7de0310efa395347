-- Labeled articles in train, val or test that have no compressed text, so no
-- example (they are counted, never invented).
-- Reads: splits_input (a snapshot of <filter>.splits), combined_wide (id, ...),
--        compressed_input (id, text).
-- Returns: articles.
SELECT count(*) AS articles
FROM splits_input s JOIN combined_wide USING (id) ANTI JOIN compressed_input c USING (id)
WHERE s.split IN ('train', 'val', 'test')
