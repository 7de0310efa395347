-- The model a tag names: the model of the tag's newest row.
-- Reads: model_tags_input (a snapshot of <filter>.model_tags).
-- Parameters: $tag (e.g. production).
-- Returns: model; no row when the tag was never given.
SELECT model
FROM model_tags_input
WHERE tag = $tag
ORDER BY tagged_at DESC, run_id DESC
LIMIT 1
