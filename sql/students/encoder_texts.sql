-- Every distinct compressed text, in the order of its first article's id:
-- what train --backend embed fits a hashed encoder on when the filter has
-- no embeddings (the texts and order distill embed fits on, so both fit
-- the same encoder). Unsupervised: no label is read.
-- Reads: compressed_input (id, text: the compressed snapshot the examples use).
-- Returns: text.
SELECT text
FROM compressed_input
GROUP BY text
ORDER BY min(id)
