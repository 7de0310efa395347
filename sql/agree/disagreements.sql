-- The articles the oracles (or one oracle's repeats) disagree on most: for
-- each pair compared, an article's disagreement is the mean over the
-- filter's dimensions of |b - a| (over its ask pairs); an article's spread
-- is the largest over the pairs, and the tier's level difference says
-- whether a pair put it in different tiers.
-- Reads: agree_diffs (sql/agree/diffs.sql).
-- Variables: agree_top (INTEGER: how many articles).
-- Returns: id, spread, tier_flip (BOOLEAN), pairs (VARCHAR: 'b vs a' of the
--          pair that spreads most); the top agree_top by spread, then id.
WITH per_pair AS (
    SELECT a, b, id,
           avg(abs(d)) FILTER (WHERE position < 1000) AS spread,
           coalesce(max(abs(d)) FILTER (WHERE dimension = 'tier') > 0, false) AS tier_flip
    FROM agree_diffs
    GROUP BY a, b, id
)
SELECT id, max(spread) AS spread, bool_or(tier_flip) AS tier_flip,
       arg_max(b || ' vs ' || a, spread) AS pairs
FROM per_pair
GROUP BY id
ORDER BY spread DESC NULLS LAST, id
LIMIT getvariable('agree_top')
