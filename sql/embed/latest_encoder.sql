-- The hashed encoder of the newest embed run: later runs embed new
-- articles with it, so that every vector of the filter shares one space.
-- Reads: embeddings_input (a snapshot of <filter>.embeddings).
-- Returns: encoder (no row when no hashed encoder has embedded anything).
SELECT encoder
FROM embeddings_input
WHERE encoder LIKE 'hashed-%'
ORDER BY embedded_at DESC NULLS LAST, run_id DESC, encoder
LIMIT 1
