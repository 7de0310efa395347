-- The compressed articles the encoder has not embedded yet, in id order.
-- Reads: compressed_input (a snapshot of <filter>.compressed),
--        embeddings_input (a snapshot of <filter>.embeddings; empty before
--        the first run).
-- Parameters: $encoder (VARCHAR).
-- Returns: id, text, text_sha256.
SELECT c.id, c.text, c.text_sha256
FROM compressed_input c
WHERE c.id NOT IN (SELECT id FROM embeddings_input WHERE encoder = $encoder)
ORDER BY c.id
