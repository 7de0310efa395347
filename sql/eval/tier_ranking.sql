-- Recall@k and NDCG@k per upper tier: how well the ranking by predicted
-- overall score (highest first, ties broken by id) puts first the articles
-- the oracle put in the tier or above.
--   relevant  the articles whose oracle tier is the tier or a higher one;
--   k         eval_k or, when that is 0, relevant (so recall@k = precision@k);
--   found     relevant articles among the first k of the ranking;
--   recall_at_k = found / relevant (null when nothing is relevant);
--   ndcg_at_k = DCG@k / IDCG@k, where DCG@k sums, over the first k places p
--             of the ranking, gain / log2(p + 1), the gain being the article's
--             oracle overall score (null counts 0), and IDCG@k is the same sum
--             over the articles ordered by oracle overall score (the best
--             ranking possible); null when k is 0 or every gain in it is 0.
-- NDCG thus also credits a ranking for its order inside the first k and for
-- the near misses it puts there; recall@k only counts the relevant ones.
-- Reads: eval_articles (sql/eval/articles.sql),
--        eval_upper_tiers (sql/eval/upper_tiers.sql).
-- Variables: eval_k (BIGINT: k, or 0 for the default above).
-- Returns: model, split, tier, min_score, tier_rank, k, relevant, found,
--          recall_at_k, ndcg_at_k; by model, split, tier_rank.
WITH ranked AS (
    SELECT model, split, id, oracle_rank, coalesce(oracle_overall, 0) AS gain,
           row_number() OVER (PARTITION BY model, split ORDER BY predicted_overall DESC, id) AS place,
           row_number() OVER (PARTITION BY model, split ORDER BY coalesce(oracle_overall, 0) DESC, id) AS ideal_place
    FROM eval_articles
    WHERE predicted_overall IS NOT NULL
),
sized AS (
    SELECT r.model, r.split, t.tier, t.min_score, t.tier_rank,
           count(*) FILTER (WHERE r.oracle_rank <= t.tier_rank) AS relevant,
           CASE WHEN getvariable('eval_k') > 0 THEN getvariable('eval_k')::BIGINT ELSE relevant END AS k
    FROM ranked r CROSS JOIN eval_upper_tiers t
    GROUP BY r.model, r.split, t.tier, t.min_score, t.tier_rank
),
counted AS (
    SELECT s.model, s.split, s.tier, s.min_score, s.tier_rank, s.relevant, s.k,
           count(*) FILTER (WHERE r.oracle_rank <= s.tier_rank AND r.place <= s.k) AS found,
           sum(r.gain / log2(r.place + 1)) FILTER (WHERE r.place <= s.k) AS dcg,
           sum(r.gain / log2(r.ideal_place + 1)) FILTER (WHERE r.ideal_place <= s.k) AS idcg
    FROM sized s
    JOIN ranked r ON r.model = s.model AND r.split = s.split
    GROUP BY s.model, s.split, s.tier, s.min_score, s.tier_rank, s.relevant, s.k
)
SELECT model, split, tier, min_score, tier_rank, k, relevant, found,
       CASE WHEN relevant > 0 THEN found / relevant END AS recall_at_k,
       CASE WHEN idcg > 0 THEN dcg / idcg END AS ndcg_at_k
FROM counted
ORDER BY model, split, tier_rank
