-- One trained student: the row of <filter>.models with the id, as predict
-- and eval load it.
-- Reads: models_input (a snapshot of <filter>.models).
-- Parameters: $id (the model's id).
-- Returns: id, backend, base_model, params, dimensions (JSON text of the
--          list), artifact, train_rows, val_rows, val_mae, baseline_val_mae,
--          seconds, filter_sha256; no row when no model has the id.
SELECT id, backend, base_model, params, to_json(dimensions)::VARCHAR AS dimensions, artifact,
       train_rows, val_rows, val_mae, baseline_val_mae, seconds, filter_sha256
FROM models_input
WHERE id = $id
