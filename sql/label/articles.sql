-- The compressed articles to label, with the hash of the text the prompt is
-- rendered from.
-- Reads: compressed_input (a snapshot of <filter>.compressed).
-- Returns: id, text, text_sha256.
SELECT id, text, text_sha256
FROM compressed_input
ORDER BY id
