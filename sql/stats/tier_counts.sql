-- Articles per tier, every tier of the filter listed (0 when empty), highest first.
-- Reads: stats_articles (id, overall, gated, tier, tier_rank, n_labels: one row per
--        article, see sql/labels/combined_tiers.sql), filter_tiers (tier, min_score, tier_rank).
-- Returns: tier, min_score, articles, share (of all articles, 0-1).
SELECT t.tier, t.min_score, count(a.id) AS articles,
       coalesce(count(a.id) / nullif(sum(count(a.id)) OVER (), 0), 0) AS share
FROM filter_tiers t LEFT JOIN stats_articles a ON a.tier = t.tier
GROUP BY t.tier, t.min_score, t.tier_rank
ORDER BY t.tier_rank
