-- The threshold sweep: precision, recall and F1 of "predicted overall score
-- >= threshold" against the oracle's "at or above the decision tier" (the
-- lowest tier above the bottom one), at every threshold from 0 to 10 by 0.25
-- and at each tier's min_score.
--   positives       articles the oracle put in the decision tier or above;
--   predicted       articles whose predicted overall score reaches the threshold;
--   precision = true_positives / predicted (null when nothing is predicted);
--   recall    = true_positives / positives (null when nothing is positive);
--   f1        = 2 true_positives / (predicted + positives), the harmonic mean
--               of the two (null when nothing is positive).
-- Reads: eval_articles (sql/eval/articles.sql),
--        eval_upper_tiers (sql/eval/upper_tiers.sql),
--        filter_tiers (tier, min_score, tier_rank: 1 = the highest tier).
-- Returns: model, split, decision_tier, decision_threshold (its min_score),
--          threshold, predicted, true_positives, positives, precision, recall,
--          f1; by model, split, threshold. No row without a tier above the bottom one.
WITH decision AS (
    SELECT tier, min_score, tier_rank FROM eval_upper_tiers ORDER BY tier_rank DESC LIMIT 1
),
thresholds AS (
    SELECT DISTINCT threshold FROM (
        SELECT range * 0.25 AS threshold FROM range(0, 41)
        UNION ALL
        SELECT min_score FROM filter_tiers
    )
),
counted AS (
    SELECT a.model, a.split, d.tier AS decision_tier, d.min_score AS decision_threshold, t.threshold,
           count(*) FILTER (WHERE a.predicted_overall >= t.threshold) AS predicted,
           count(*) FILTER (WHERE a.predicted_overall >= t.threshold AND a.oracle_rank <= d.tier_rank) AS true_positives,
           count(*) FILTER (WHERE a.oracle_rank <= d.tier_rank) AS positives
    FROM eval_articles a CROSS JOIN decision d CROSS JOIN thresholds t
    WHERE a.predicted_overall IS NOT NULL
    GROUP BY ALL
)
SELECT *,
       CASE WHEN predicted > 0 THEN true_positives / predicted END AS precision,
       CASE WHEN positives > 0 THEN true_positives / positives END AS recall,
       CASE WHEN positives > 0 THEN 2 * true_positives / (predicted + positives) END AS f1
FROM counted
ORDER BY model, split, threshold
