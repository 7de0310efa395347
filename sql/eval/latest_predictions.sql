-- The prediction each evaluated model made of each article: its latest (by
-- predicted_at, ties broken by run_id) when the article was predicted more
-- than once, e.g. by a rerun of `distill predict`. The overall score is the
-- raw student output (overall_raw when the model is calibrated, else
-- overall) unless eval_calibrated is set, then the calibrated one (overall);
-- sql/eval/scores.sql makes the same choice per dimension.
-- Reads: predictions_input, a snapshot of <filter>.predictions (id, model, one
--        DOUBLE column per dimension, overall, tier, split, predicted_at, run_id,
--        and <dimension>_raw, overall_raw, tier_raw, calibration: the stage
--        adds them as nulls to an older table that lacks them).
-- Variables: dimensions (VARCHAR[]: the dimension columns),
--            eval_raw_dimensions (VARCHAR[]: the <dimension>_raw columns),
--            eval_models (VARCHAR[]: the model ids evaluated),
--            eval_calibrated (BOOLEAN: score the calibrated columns, not the raw ones).
-- Returns: model, id, one column per dimension, one <dimension>_raw column per
--          dimension, overall, predicted_split (the article's split when it was
--          predicted), predicted_at, calibration (its name, null for none),
--          has_raw (the row holds a raw column: the model is calibrated).
WITH latest AS (
    SELECT *, coalesce(*COLUMNS(c -> list_contains(getvariable('eval_raw_dimensions'), c)), overall_raw) AS any_raw
    FROM predictions_input
    WHERE list_contains(getvariable('eval_models'), model)
    QUALIFY row_number() OVER (PARTITION BY model, id ORDER BY predicted_at DESC NULLS LAST, run_id DESC NULLS LAST) = 1
)
SELECT model, id, COLUMNS(c -> list_contains(getvariable('dimensions'), c)),
       COLUMNS(c -> list_contains(getvariable('eval_raw_dimensions'), c)),
       CASE WHEN getvariable('eval_calibrated') THEN overall ELSE coalesce(overall_raw, overall) END AS overall,
       split AS predicted_split, predicted_at, calibration,
       any_raw IS NOT NULL OR tier_raw IS NOT NULL OR calibration IS NOT NULL AS has_raw
FROM latest
