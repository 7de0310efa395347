-- The score of each article a filter scored that the application downstream
-- reads (distill score --out): the production model's when it scored the
-- article (after a rollback to a model that scored it before, that model's
-- again, not the retired one's newer row), else the newest by scored_at.
-- Reads: scores_input (a snapshot of <filter>.scores).
-- Parameters: $filter (the filter's name, the first column of the output),
--             $production (the production model's id; '' for none).
-- Returns: filter, then every column of scores_input; one row per id,
--          ordered by id.
SELECT $filter AS filter, s.*
FROM scores_input s
QUALIFY row_number() OVER (PARTITION BY s.id ORDER BY s.model = $production DESC, s.scored_at DESC, s.model DESC) = 1
ORDER BY s.id
