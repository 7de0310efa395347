-- The compressed text (what the oracles read) of the articles listed for review.
-- Reads: agree_compressed (a snapshot of <filter>.compressed), agree_listed (id).
-- Returns: id, text.
SELECT id, text
FROM agree_compressed
WHERE id IN (SELECT id FROM agree_listed)
