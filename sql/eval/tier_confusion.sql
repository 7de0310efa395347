-- The tier confusion matrix of each model: articles by oracle tier and
-- predicted tier, every pair of the filter's tiers listed (zeros included),
-- from the highest tier. Articles without a predicted overall score are left out.
-- Reads: eval_articles (sql/eval/articles.sql),
--        filter_tiers (tier, min_score, tier_rank: 1 = the highest tier).
-- Returns: model, split, oracle_tier, oracle_rank, predicted_tier, predicted_rank, articles.
WITH groups AS (
    SELECT DISTINCT model, split FROM eval_articles
),
cells AS (
    SELECT g.model, g.split, o.tier AS oracle_tier, o.tier_rank AS oracle_rank,
           p.tier AS predicted_tier, p.tier_rank AS predicted_rank
    FROM groups g CROSS JOIN filter_tiers o CROSS JOIN filter_tiers p
)
SELECT c.model, c.split, c.oracle_tier, c.oracle_rank, c.predicted_tier, c.predicted_rank, count(a.id) AS articles
FROM cells c
LEFT JOIN eval_articles a ON a.model = c.model AND a.split = c.split
     AND a.oracle_tier = c.oracle_tier AND a.predicted_tier = c.predicted_tier
GROUP BY c.model, c.split, c.oracle_tier, c.oracle_rank, c.predicted_tier, c.predicted_rank
ORDER BY c.model, c.split, c.oracle_rank, c.predicted_rank
