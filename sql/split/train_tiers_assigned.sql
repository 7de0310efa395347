-- Training articles per tier as assigned, before --balance leaves any out:
-- what the caps of sql/split/balance.sql are computed from.
-- Reads: filter_tiers (tier, tier_rank, ...), split_assigned (sql/split/assignments.sql),
--        combined_labels (id, tier, ...).
-- Returns: tier, articles (every tier of the filter, highest first).
SELECT t.tier, count(a.id) AS articles
FROM filter_tiers t
LEFT JOIN (SELECT a.id, l.tier FROM split_assigned a JOIN combined_labels l USING (id) WHERE a.split = 'train') a
       ON a.tier = t.tier
GROUP BY t.tier, t.tier_rank
ORDER BY t.tier_rank
