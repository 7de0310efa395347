-- Every distinct compressed text, in the order of its first article's id
-- (articles that compress to one text count once): what a hashed encoder
-- is fitted on, by distill embed's first run and by train --backend embed
-- on a filter not yet embedded, so both fit the same encoder.
-- Unsupervised: no label is read.
-- Reads: compressed_input (id, text: a snapshot of <filter>.compressed).
-- Returns: text.
SELECT text
FROM compressed_input
GROUP BY text
ORDER BY min(id)
