-- The rows a run writes as the new snapshot of <filter>.splits, by id.
-- Reads: split_final (sql/split/final.sql).
-- Returns: the columns of <filter>.splits (split_final without kept and labeled).
SELECT * EXCLUDE (kept, labeled)
FROM split_final
ORDER BY id
