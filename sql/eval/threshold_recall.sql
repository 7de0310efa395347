-- Precision and recall at the threshold of the lowest tier above the bottom
-- one (the line between "worth keeping" and not): an article is predicted
-- positive when its predicted overall score reaches the tier's min_score,
-- and is positive when the oracle's overall score does.
-- Reads: eval_articles (sql/eval/articles.sql),
--        filter_tiers (tier, min_score, tier_rank: 1 = the highest tier).
-- Returns: model, split, threshold_tier, threshold, true_positives,
--          false_positives, false_negatives, precision (null when nothing is
--          predicted positive), recall (null when nothing is positive).
WITH threshold AS (
    SELECT tier, min_score FROM filter_tiers
    WHERE tier_rank = (SELECT max(tier_rank) - 1 FROM filter_tiers)
),
counted AS (
    SELECT a.model, a.split, t.tier AS threshold_tier, t.min_score AS threshold,
           count(*) FILTER (WHERE a.predicted_overall >= t.min_score AND a.oracle_overall >= t.min_score) AS true_positives,
           count(*) FILTER (WHERE a.predicted_overall >= t.min_score AND a.oracle_overall < t.min_score) AS false_positives,
           count(*) FILTER (WHERE a.predicted_overall < t.min_score AND a.oracle_overall >= t.min_score) AS false_negatives
    FROM eval_articles a CROSS JOIN threshold t
    WHERE a.predicted_overall IS NOT NULL
    GROUP BY a.model, a.split, t.tier, t.min_score
)
SELECT *,
       CASE WHEN true_positives + false_positives > 0 THEN true_positives / (true_positives + false_positives) END AS precision,
       CASE WHEN true_positives + false_negatives > 0 THEN true_positives / (true_positives + false_negatives) END AS recall
FROM counted
ORDER BY model, split
