-- The split snapshot each model trained with, for the models named.
-- Reads: models_input (a snapshot of <filter>.models).
-- Variables: seen_models (VARCHAR[]: the model ids).
-- Returns: model, splits_sequence (null when its row does not say), in
--          seen_models' order; no row for an unknown id.
SELECT m.id AS model, m.splits_sequence
FROM unnest(getvariable('seen_models')) WITH ORDINALITY AS w(model, ord)
JOIN models_input m ON m.id = w.model
ORDER BY w.ord
