-- One encoder's vector of each article it embedded (the newest, should an
-- article have been embedded twice).
-- Reads: embeddings_input (a snapshot of <filter>.embeddings).
-- Parameters: $encoder (VARCHAR).
-- Returns: id, vector (FLOAT[]).
SELECT id, vector
FROM embeddings_input
WHERE encoder = $encoder
QUALIFY row_number() OVER (PARTITION BY id ORDER BY embedded_at DESC NULLS LAST, run_id DESC) = 1
