-- The highest threshold on the first stage's overall that forwards at least
-- $recall of the val positives: the predicted score of the positive at rank
-- ceil(recall x positives), best first.
-- Reads: cascade_pairs (sql/cascade/pairs.sql).
-- Parameters: $recall (0 < recall <= 1).
-- Returns: threshold (NULL when val has no positive), positives.
WITH pos AS (
    SELECT predicted, row_number() OVER (ORDER BY predicted DESC, id) AS rank, count(*) OVER () AS n
    FROM cascade_pairs
    WHERE split = 'val' AND positive
)
-- (less a hair: 0.28 x 25 is 7.000000000000001 in floating point, and the
-- rank is 7)
SELECT min(predicted) FILTER (WHERE rank <= ceil($recall * n - 1e-9)) AS threshold, count(*) AS positives
FROM pos
