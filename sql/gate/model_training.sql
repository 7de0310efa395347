-- What a model was trained on: the labels and splits snapshots it read.
-- Reads: models_input (a snapshot of <filter>.models).
-- Parameters: $id (the model's id).
-- Returns: labels_sequence, splits_sequence (null when the row does not
--          say); no row when no model has the id.
SELECT labels_sequence, splits_sequence
FROM models_input
WHERE id = $id
