-- The examples `distill export` writes: one split's (or every split's), less
-- the training articles `distill split --balance` left out unless asked for.
-- Reads: examples (split, id, text, labels, overall, tier, balanced_out:
--        sql/students/examples.sql).
-- Parameters: $split (train, val, test or all), $with_balanced_out (BOOLEAN).
-- Returns: every column of examples, for those examples.
SELECT *
FROM examples
WHERE ($split = 'all' OR split = $split)
  AND ($with_balanced_out OR NOT balanced_out)
