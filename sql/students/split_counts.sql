-- Articles per split of a splits snapshot (excluded ones aside): what a
-- command that needs one split says when that split is empty.
-- Reads: splits_input (a snapshot of <filter>.splits).
-- Returns: split, articles.
SELECT split, count(*) AS articles FROM splits_input WHERE split <> 'excluded' GROUP BY split ORDER BY split
