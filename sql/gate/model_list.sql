-- The filter's models, newest first, with the tags that name each now.
-- Reads: models_input (a snapshot of <filter>.models),
--        model_tags_input (a snapshot of <filter>.model_tags; empty when none).
-- Returns: id, backend, trained_at, val_mae, val_rows, tags (the tags whose
--          newest row names the model, sorted; empty when none).
WITH current AS (
    SELECT tag, model FROM model_tags_input
    QUALIFY row_number() OVER (PARTITION BY tag ORDER BY tagged_at DESC, run_id DESC) = 1
)
SELECT m.id, m.backend, m.trained_at, m.val_mae, m.val_rows,
       coalesce(list_sort(list(c.tag) FILTER (WHERE c.tag IS NOT NULL)), []::VARCHAR[]) AS tags
FROM models_input m
LEFT JOIN current c ON c.model = m.id
GROUP BY m.id, m.backend, m.trained_at, m.val_mae, m.val_rows
ORDER BY m.trained_at DESC NULLS LAST, m.id DESC
