-- The articles evaluated: one row per model and article in scope that has
-- both a prediction and a combined oracle label. When several models are
-- evaluated (--compare) only the articles every one of them predicted count,
-- so the models are scored on the same articles. The predicted tier is the
-- tier of the predicted overall score under the filter's tiers, the rule that
-- gives the oracle's tier, so both sides of the confusion matrix use one set
-- of thresholds.
-- Reads: eval_predictions (sql/eval/latest_predictions.sql),
--        eval_scope (id, split: the articles in scope and the split reported),
--        combined_labels (sql/labels/combined_tiers.sql),
--        filter_tiers (tier, min_score, tier_rank: 1 = the highest tier).
-- Variables: eval_models (VARCHAR[]: the model ids evaluated).
-- Returns: model, split, id, predicted_split, predicted_overall, predicted_tier,
--          predicted_rank, oracle_overall, oracle_tier, oracle_rank (null
--          predicted columns when the prediction has no overall score).
WITH common AS (
    SELECT id FROM eval_predictions
    GROUP BY id HAVING count(DISTINCT model) = len(getvariable('eval_models'))
),
joined AS (
    SELECT p.model, s.split, p.id, p.predicted_split, p.overall AS predicted_overall,
           l.overall AS oracle_overall, l.tier AS oracle_tier, l.tier_rank AS oracle_rank
    FROM eval_predictions p
    JOIN eval_scope s ON s.id = p.id
    JOIN combined_labels l ON l.id = p.id
    WHERE p.id IN (SELECT id FROM common)
),
lowest AS (
    SELECT tier, tier_rank FROM filter_tiers ORDER BY tier_rank DESC LIMIT 1
)
SELECT j.model, j.split, j.id, j.predicted_split, j.predicted_overall,
       CASE WHEN j.predicted_overall IS NOT NULL THEN coalesce(t.tier, (SELECT tier FROM lowest)) END AS predicted_tier,
       CASE WHEN j.predicted_overall IS NOT NULL THEN coalesce(t.tier_rank, (SELECT tier_rank FROM lowest)) END AS predicted_rank,
       j.oracle_overall, j.oracle_tier, j.oracle_rank
FROM joined j ASOF LEFT JOIN filter_tiers t ON j.predicted_overall >= t.min_score
