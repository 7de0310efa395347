-- Compressed texts still holding known site-footer phrases ("All rights
-- reserved", "Cookie", ...), matched case-insensitively: furniture the
-- boilerplate rules and the learned model left in what the oracle reads.
-- Reads: compressed_input (a snapshot of <filter>.compressed).
-- Parameters: $phrases (the phrases, a VARCHAR list).
-- Returns: phrase (NULL on the first row, which counts the texts holding any
--          of them), texts (the texts holding it), total (every text); then
--          one row per phrase, in the order of $phrases.
WITH texts AS (
    SELECT lower(text) AS text FROM compressed_input
),
phrases AS (
    SELECT unnest($phrases::VARCHAR[]) AS phrase, generate_subscripts($phrases::VARCHAR[], 1) AS pos
),
counts AS (
    SELECT NULL::VARCHAR AS phrase,
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM phrases p WHERE contains(t.text, lower(p.phrase)))) AS texts,
           0 AS pos
    FROM texts t
    UNION ALL
    SELECT p.phrase, (SELECT count(*) FROM texts t WHERE contains(t.text, lower(p.phrase))), p.pos
    FROM phrases p
)
SELECT phrase, texts, (SELECT count(*) FROM texts) AS total
FROM counts
ORDER BY pos
