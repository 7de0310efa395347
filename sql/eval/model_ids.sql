-- The models a run may evaluate: every id in the models table.
-- Reads: models_input (a snapshot of <filter>.models).
-- Returns: id.
SELECT id
FROM models_input
ORDER BY id
