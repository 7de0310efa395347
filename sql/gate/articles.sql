-- Each gated model's error on each article in scope, paired by article for
-- the bootstrap: the mean absolute error over the article's dimensions (its
-- mean over articles is the MAE averaged over dimensions), and the
-- predicted and oracle overall scores (recall, precision, F1, Spearman).
-- Reads: eval_predictions (sql/eval/latest_predictions.sql),
--        eval_scope (id, split: the articles gated),
--        combined_scores (sql/labels/combined_scores.sql),
--        combined_labels (sql/labels/combined_tiers.sql).
-- Variables: dimensions (VARCHAR[]: the dimension columns).
-- Returns: model, id, abs_error, predicted_overall, oracle_overall; ordered by
--          model, id.
WITH predicted AS (
    UNPIVOT (SELECT model, id, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM eval_predictions)
    ON COLUMNS(c -> list_contains(getvariable('dimensions'), c))
    INTO NAME dimension VALUE score
),
errors AS (
    SELECT p.model, p.id, avg(abs(p.score - s.score)) AS abs_error
    FROM predicted p
    JOIN combined_scores s ON s.id = p.id AND s.dimension = p.dimension
    WHERE p.id IN (SELECT id FROM eval_scope)
    GROUP BY p.model, p.id
)
SELECT e.model, e.id, e.abs_error, p.overall AS predicted_overall, l.overall AS oracle_overall
FROM errors e
JOIN eval_predictions p ON p.model = e.model AND p.id = e.id
JOIN combined_labels l ON l.id = e.id
ORDER BY e.model, e.id
