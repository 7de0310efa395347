-- How many examples of a split `distill split --balance` left out: what
-- `distill export` skips unless asked to keep them.
-- Reads: examples (split, id, ..., balanced_out: sql/students/examples.sql).
-- Parameters: $split (train, val, test or all).
-- Returns: articles.
SELECT count(*) AS articles
FROM examples
WHERE balanced_out AND ($split = 'all' OR split = $split)
