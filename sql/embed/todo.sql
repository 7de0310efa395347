-- The compressed articles the encoder has not embedded as they read now,
-- in id order: never embedded, or embedded when their compressed text was
-- another (compress rebuilt it, e.g. after a filter change).
-- Reads: compressed_input (a snapshot of <filter>.compressed),
--        embeddings_input (a snapshot of <filter>.embeddings; empty before
--        the first run).
-- Parameters: $encoder (VARCHAR).
-- Returns: id, text, text_sha256.
SELECT c.id, c.text, c.text_sha256
FROM compressed_input c
WHERE NOT EXISTS (
    SELECT 1 FROM embeddings_input e
    WHERE e.encoder = $encoder AND e.id = c.id AND e.text_sha256 IS NOT DISTINCT FROM c.text_sha256)
ORDER BY c.id
