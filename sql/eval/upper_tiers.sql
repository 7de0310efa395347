-- The tiers above the bottom one, from the highest: each is a relevance
-- level of the ranking metrics (sql/eval/tier_ranking.sql), and the lowest of
-- them is the decision tier of the threshold sweep (sql/eval/threshold_sweep.sql).
-- Reads: filter_tiers (tier, min_score, tier_rank: 1 = the highest tier).
-- Returns: tier, min_score, tier_rank.
SELECT tier, min_score, tier_rank
FROM filter_tiers
WHERE tier_rank < (SELECT max(tier_rank) FROM filter_tiers)
ORDER BY tier_rank
