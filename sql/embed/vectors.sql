-- One encoder's vector of each compressed article, of its text as it
-- reads now (a vector of an older text of the article is passed over).
-- Reads: embeddings_input (a snapshot of <filter>.embeddings),
--        compressed_input (a snapshot of <filter>.compressed).
-- Parameters: $encoder (VARCHAR).
-- Returns: id, vector (FLOAT[]).
SELECT e.id, e.vector
FROM embeddings_input e
JOIN compressed_input c ON c.id = e.id AND c.text_sha256 IS NOT DISTINCT FROM e.text_sha256
WHERE e.encoder = $encoder
QUALIFY row_number() OVER (PARTITION BY e.id ORDER BY e.embedded_at DESC NULLS LAST, e.run_id DESC) = 1
