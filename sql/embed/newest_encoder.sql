-- The encoder of the newest embeddings (any kind): what label --select
-- similar|diverse reads unless told which.
-- Reads: embeddings_input (a snapshot of <filter>.embeddings).
-- Returns: encoder (no row when the table is empty).
SELECT encoder
FROM embeddings_input
ORDER BY embedded_at DESC NULLS LAST, run_id DESC, encoder
LIMIT 1
