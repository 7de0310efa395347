-- What each gated model has not predicted of the labeled articles in scope:
-- the gate scores both sides on the same articles, so it stops and names
-- the predict command to run.
-- Reads: eval_scope (id, split: the articles gated),
--        combined_labels (sql/labels/combined_tiers.sql),
--        eval_predictions (sql/eval/latest_predictions.sql).
-- Variables: eval_models (VARCHAR[]: the models gated).
-- Returns: model, labeled (labeled articles in scope), missing (those the
--          model has no prediction of); one row per model, in eval_models' order.
WITH labeled AS (
    SELECT id FROM eval_scope WHERE id IN (SELECT id FROM combined_labels)
)
SELECT m.model, (SELECT count(*) FROM labeled) AS labeled,
       (SELECT count(*) FROM labeled l
        WHERE NOT EXISTS (SELECT 1 FROM eval_predictions p WHERE p.model = m.model AND p.id = l.id)) AS missing
FROM unnest(getvariable('eval_models')) WITH ORDINALITY AS m(model, ord)
ORDER BY m.ord
