-- Under --balance: which training articles to leave out so that no tier
-- exceeds its cap. Within a tier, articles are kept in an order fixed by the
-- seed (hashed with the id as one string, as in assign_stratified.sql); val
-- and test are never touched. Nothing is invented for small tiers.
-- Reads: split_assigned (id, split, ...: sql/split/assignments.sql),
--        combined_labels (id, tier, ...), tier_caps (tier, cap: most training articles kept).
-- Parameters: $seed (BIGINT).
-- Returns: id, balanced_out (true for a training article left out).
WITH train AS (
    SELECT a.id, l.tier,
           row_number() OVER (PARTITION BY l.tier ORDER BY hash($seed::VARCHAR || ':' || a.id), a.id) AS pos
    FROM split_assigned a JOIN combined_labels l USING (id)
    WHERE a.split = 'train'
)
SELECT t.id, coalesce(t.pos > c.cap, false) AS balanced_out
FROM train t LEFT JOIN tier_caps c USING (tier)
