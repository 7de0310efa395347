-- Tier accuracy: the share of articles whose predicted tier is the oracle's.
-- Reads: eval_articles (sql/eval/articles.sql).
-- Returns: model, split, articles (with a predicted tier), correct, tier_accuracy.
SELECT model, split, articles, correct, correct / articles AS tier_accuracy
FROM (
    SELECT model, split, count(*) AS articles,
           count(*) FILTER (WHERE predicted_tier = oracle_tier) AS correct
    FROM eval_articles
    WHERE predicted_tier IS NOT NULL
    GROUP BY model, split
)
ORDER BY model, split
