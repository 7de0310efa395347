-- Articles per split (excluded included).
-- Reads: split_final (sql/split/final.sql).
-- Returns: split, articles.
SELECT split, count(*) AS articles FROM split_final GROUP BY split ORDER BY split
