-- The population stability index of the newest window against each
-- baseline, per dimension, overall and tier: PSI = sum over bins of
-- (r - b) * ln(r / b), r and b the shares of the window's and the
-- baseline's articles in the bin, each floored at 0.001 so that a bin empty
-- on one side counts as 0.1% rather than making the index infinite. Bins:
-- the 11 whole scores 0-10 (a score is rounded to the nearest: the oracle
-- answers in whole numbers, and a bin centred on each keeps an oracle's 3
-- and a student's 2.9 together), or the tiers (the filter's, and any other
-- found).
-- Reads: drift_values (sql/drift/values.sql), filter_tiers (tier, ...).
-- Returns: baseline, baseline_order, dimension, recent_articles,
--          baseline_articles, psi (NULL when a side has no article), bins
--          (the bins either side holds: what chance's bound counts),
--          recent_value, baseline_value (mean score; tier: the share in the
--          upper tiers); one row per baseline and dimension either side has.
WITH totals AS (
    SELECT population, dimension, count(*) AS articles, avg(value) AS mean
    FROM drift_values GROUP BY ALL
), counts AS (
    SELECT population, dimension, bin, count(*) AS n
    FROM drift_values GROUP BY ALL
), bases AS (
    SELECT DISTINCT v.population AS baseline, v.baseline_order, d.dimension
    FROM drift_values v, (SELECT DISTINCT dimension FROM drift_values) d
    WHERE v.population <> 'recent'
), grid AS (
    SELECT d.dimension, b::VARCHAR AS bin
    FROM (SELECT DISTINCT dimension FROM drift_values WHERE dimension <> 'tier') d, range(0, 11) t(b)
    UNION
    SELECT 'tier', tier FROM filter_tiers
    UNION
    SELECT 'tier', bin FROM drift_values WHERE dimension = 'tier'
), shares AS (
    SELECT b.baseline, b.baseline_order, g.dimension,
           greatest(coalesce(r.n, 0) / rt.articles, 0.001) AS r,
           greatest(coalesce(c.n, 0) / bt.articles, 0.001) AS b,
           r.n IS NOT NULL OR c.n IS NOT NULL AS occupied
    FROM bases b
    JOIN grid g USING (dimension)
    LEFT JOIN counts r ON r.population = 'recent' AND r.dimension = g.dimension AND r.bin = g.bin
    LEFT JOIN counts c ON c.population = b.baseline AND c.dimension = g.dimension AND c.bin = g.bin
    LEFT JOIN totals rt ON rt.population = 'recent' AND rt.dimension = g.dimension
    LEFT JOIN totals bt ON bt.population = b.baseline AND bt.dimension = g.dimension
), psi AS (
    SELECT baseline, baseline_order, dimension, round(sum((r - b) * ln(r / b)), 10) AS psi,
           count(*) FILTER (WHERE occupied) AS bins
    FROM shares GROUP BY ALL
)
SELECT p.baseline, p.baseline_order, p.dimension,
       coalesce(rt.articles, 0) AS recent_articles, coalesce(bt.articles, 0) AS baseline_articles,
       p.psi, p.bins, round(rt.mean, 10) AS recent_value, round(bt.mean, 10) AS baseline_value
FROM psi p
LEFT JOIN totals rt ON rt.population = 'recent' AND rt.dimension = p.dimension
LEFT JOIN totals bt ON bt.population = p.baseline AND bt.dimension = p.dimension
ORDER BY p.baseline_order, p.baseline, p.dimension
