-- Recall@k: of the relevant articles (those the oracle put in a tier above
-- the bottom one), the share found among the k articles with the highest
-- predicted overall score (ties broken by id). k is eval_k or, when that is
-- 0, the number of relevant articles: then recall@k equals precision@k
-- (R-precision), and a model that ranks every relevant article first scores 1.
-- Reads: eval_articles (sql/eval/articles.sql),
--        filter_tiers (tier, min_score, tier_rank: 1 = the highest tier).
-- Variables: eval_k (BIGINT: k, or 0 for the default above).
-- Returns: model, split, k, relevant, found, recall_at_k (null when no article is relevant).
WITH scored AS (
    SELECT model, split, id,
           oracle_rank < (SELECT max(tier_rank) FROM filter_tiers) AS relevant,
           row_number() OVER (PARTITION BY model, split ORDER BY predicted_overall DESC, id) AS place
    FROM eval_articles
    WHERE predicted_overall IS NOT NULL
),
sized AS (
    SELECT *, CASE WHEN getvariable('eval_k') > 0 THEN getvariable('eval_k')::BIGINT
                   ELSE count(*) FILTER (WHERE relevant) OVER (PARTITION BY model, split) END AS k
    FROM scored
),
counted AS (
    SELECT model, split, any_value(k) AS k, count(*) FILTER (WHERE relevant) AS relevant,
           count(*) FILTER (WHERE relevant AND place <= k) AS found
    FROM sized
    GROUP BY model, split
)
SELECT model, split, k, relevant, found, CASE WHEN relevant > 0 THEN found / relevant END AS recall_at_k
FROM counted
ORDER BY model, split
