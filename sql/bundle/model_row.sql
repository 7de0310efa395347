-- A model's whole row of <filter>.models as one JSON object, whatever columns
-- the table has by now (tables written before calibration lack its columns),
-- for distill model export and describe.
-- Reads: models_input (a snapshot of <filter>.models).
-- Parameters: $id (the model's id).
-- Returns: model_row (JSON text of the row); no row when no model has the id.
SELECT to_json(m)::VARCHAR AS model_row
FROM models_input m
WHERE m.id = $id
