-- A seeded sample of the articles a model predicted, each with the text it
-- read, for distill model verify to predict again from an exported folder.
-- Reads: predictions_input (a snapshot of <filter>.predictions),
--        compressed_input (a snapshot of <filter>.compressed).
-- Parameters: $id (the model), $seed (the sample's seed), $sample (how many),
--             $skip_runs (run ids whose rows are not the model as exported:
--             predicted with --quantize overriding how it trained).
-- Returns: id, text, prediction (JSON text of the whole predictions row:
--          every dimension, overall, tier, ...), ordered by id.
WITH chosen AS (
    SELECT p.id, c.text, to_json(p)::VARCHAR AS prediction
    FROM predictions_input p
    JOIN compressed_input c ON c.id = p.id
    WHERE p.model = $id
      AND NOT list_contains($skip_runs::VARCHAR[], coalesce(p.run_id, ''))
    ORDER BY md5($seed::VARCHAR || ':' || p.id), p.id
    LIMIT $sample
)
SELECT id, text, prediction FROM chosen ORDER BY id
