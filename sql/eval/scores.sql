-- Every predicted score next to the oracle's and the baseline's, in long
-- form: one row per model, article and dimension, and one per model and
-- article for the overall score (dimension 'overall', after the dimensions).
-- A dimension the prediction left null is left out. The predicted score is
-- the raw student output, coalesce(<dimension>_raw, <dimension>), or with
-- eval_calibrated set the calibrated one, <dimension>.
-- Reads: eval_predictions (sql/eval/latest_predictions.sql),
--        eval_articles (sql/eval/articles.sql),
--        combined_scores (sql/labels/combined_scores.sql),
--        filter_dimensions (dimension, weight, position),
--        eval_baseline (sql/eval/train_means.sql).
-- Variables: dimensions (VARCHAR[]: the dimension columns),
--            eval_raw_dimensions (VARCHAR[]: the <dimension>_raw columns),
--            eval_calibrated (BOOLEAN).
-- Returns: model, split, id, dimension, position, predicted, oracle, baseline
--          (the training mean), baseline_median (the training median).
WITH main AS (
    UNPIVOT (SELECT model, id, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM eval_predictions)
    ON COLUMNS(c -> list_contains(getvariable('dimensions'), c))
    INTO NAME dimension VALUE main
),
raw AS (
    UNPIVOT (SELECT model, id, COLUMNS(c -> list_contains(getvariable('eval_raw_dimensions'), c)) FROM eval_predictions)
    ON COLUMNS(c -> list_contains(getvariable('eval_raw_dimensions'), c))
    INTO NAME raw_column VALUE raw
),
predicted AS (
    SELECT m.model, m.id, m.dimension,
           CASE WHEN getvariable('eval_calibrated') THEN m.main ELSE coalesce(r.raw, m.main) END AS predicted
    FROM main m
    LEFT JOIN raw r ON r.model = m.model AND r.id = m.id AND r.raw_column = m.dimension || '_raw'
)
SELECT a.model, a.split, a.id, p.dimension, d.position, p.predicted, o.score AS oracle, b.train_mean AS baseline,
       b.train_median AS baseline_median
FROM eval_articles a
JOIN predicted p ON p.model = a.model AND p.id = a.id
JOIN combined_scores o ON o.id = a.id AND o.dimension = p.dimension
JOIN filter_dimensions d ON d.dimension = p.dimension
LEFT JOIN eval_baseline b ON b.dimension = p.dimension
UNION ALL
SELECT a.model, a.split, a.id, 'overall', (SELECT count(*) FROM filter_dimensions) + 1,
       a.predicted_overall, a.oracle_overall, b.train_mean, b.train_median
FROM eval_articles a
LEFT JOIN eval_baseline b ON b.dimension = 'overall'
WHERE a.predicted_overall IS NOT NULL
