-- Every tag row, newest first, marking the row each tag currently names.
-- Reads: model_tags_input (a snapshot of <filter>.model_tags).
-- Returns: tag, model, current (the newest row of its tag), tagged_at,
--          run_id, note.
SELECT tag, model,
       row_number() OVER (PARTITION BY tag ORDER BY tagged_at DESC, run_id DESC) = 1 AS current,
       tagged_at, run_id, note
FROM model_tags_input
ORDER BY tagged_at DESC, run_id DESC, tag
