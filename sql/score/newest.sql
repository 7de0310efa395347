-- The newest score of each article a filter scored: the row with the latest
-- scored_at (after a rescore with a new production model, the new one), what
-- the application downstream reads (distill score --out).
-- Reads: scores_input (a snapshot of <filter>.scores).
-- Parameters: $filter (the filter's name, the first column of the output).
-- Returns: filter, then every column of scores_input; one row per id,
--          ordered by id.
SELECT $filter AS filter, s.*
FROM scores_input s
QUALIFY row_number() OVER (PARTITION BY s.id ORDER BY s.scored_at DESC, s.model DESC) = 1
ORDER BY s.id
