-- Training examples per split.
-- Reads: examples (sql/students/examples.sql).
-- Returns: split, examples.
SELECT split, count(*) AS examples FROM examples GROUP BY split ORDER BY split
