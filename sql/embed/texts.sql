-- Every compressed text, once per distinct text (articles that compress to
-- one text count once), in id order: what a hashed encoder is fitted on.
-- Reads: compressed_input (a snapshot of <filter>.compressed).
-- Returns: text.
SELECT any_value(text ORDER BY id) AS text
FROM compressed_input
GROUP BY text_sha256
ORDER BY min(id)
