-- Each model's recall@k and NDCG@k per tier above the bottom one, from the highest.
-- Reads: eval_tier_ranking (sql/eval/tier_ranking.sql).
-- Returns: model, tier, min_score, k, relevant, found, recall_at_k, ndcg_at_k.
SELECT model, tier, min_score, k, relevant, found, recall_at_k, ndcg_at_k
FROM eval_tier_ranking
ORDER BY model, tier_rank
