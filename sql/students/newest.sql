-- The filter's newest model, what --model latest names.
-- Reads: models_input (a snapshot of <filter>.models).
-- Returns: id of the row trained last (ties: the greatest id); no row when
--          there is no model.
SELECT id
FROM models_input
ORDER BY trained_at DESC, id DESC
LIMIT 1
