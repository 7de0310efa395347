-- The prediction each evaluated model made of each article: its latest (by
-- predicted_at, ties broken by run_id) when the article was predicted more
-- than once, e.g. by a rerun of `distill predict`.
-- Reads: predictions_input, a snapshot of <filter>.predictions (id, model, one
--        DOUBLE column per dimension, overall, tier, split, predicted_at, run_id).
-- Variables: dimensions (VARCHAR[]: the dimension columns),
--            eval_models (VARCHAR[]: the model ids evaluated).
-- Returns: model, id, one column per dimension, overall, predicted_split (the
--          article's split when it was predicted), predicted_at.
SELECT model, id, COLUMNS(c -> list_contains(getvariable('dimensions'), c)), overall,
       split AS predicted_split, predicted_at
FROM predictions_input
WHERE list_contains(getvariable('eval_models'), model)
QUALIFY row_number() OVER (PARTITION BY model, id ORDER BY predicted_at DESC NULLS LAST, run_id DESC NULLS LAST) = 1
