-- Training articles per tier in the split written (--balance applied): rare
-- tiers are reported, never invented.
-- Reads: filter_tiers (tier, min_score, tier_rank), split_final (sql/split/final.sql),
--        combined_labels (id, tier, ...).
-- Returns: tier, min_score, articles (every tier of the filter, highest first).
SELECT t.tier, t.min_score, count(f.id) AS articles
FROM filter_tiers t
LEFT JOIN (SELECT f.id, l.tier FROM split_final f JOIN combined_labels l USING (id)
           WHERE f.split = 'train' AND NOT f.balanced_out) f
       ON f.tier = t.tier
GROUP BY t.tier, t.min_score, t.tier_rank
ORDER BY t.tier_rank
