-- What a threshold keeps and forwards on each split.
-- Reads: cascade_pairs (sql/cascade/pairs.sql).
-- Parameters: $threshold.
-- Returns: split, articles, positives, recall (share of positives with a
--          first-stage overall at or above the threshold; NULL without
--          positives), forwarded (share of all articles at or above it);
--          val then test.
SELECT split, count(*) AS articles, count(*) FILTER (WHERE positive) AS positives,
       round(count(*) FILTER (WHERE positive AND predicted >= $threshold) / nullif(count(*) FILTER (WHERE positive), 0), 10) AS recall,
       round(count(*) FILTER (WHERE predicted >= $threshold) / count(*), 10) AS forwarded
FROM cascade_pairs
GROUP BY split
ORDER BY split DESC
