-- Every value drift compares, in long form: each population's articles
-- (passed ones: the dimensions are NULL for the others) with their score
-- per dimension and overall, and their tier.
-- Reads: drift_articles (sql/drift/articles.sql), drift_windows
--        (sql/drift/windows.sql), drift_train (sql/drift/train.sql, or an
--        empty table without labels).
-- Variables: dimensions (VARCHAR[]), lowest_tier (VARCHAR: the filter's
--            lowest tier; every other is an upper tier).
-- Returns: population (recent: the window compared, position 1; train;
--          earlier: every earlier window pooled; an earlier window's name, listed only
--          when there are two earlier windows or more, else it is
--          "earlier"), baseline_order (recent 0, train 1, earlier 2, an
--          earlier window its position + 1), id, dimension (a dimension,
--          overall or tier), value (the score; for tier 1 in an upper tier,
--          else 0), bin (the score rounded to a whole number 0-10, or the
--          tier).
WITH pop AS (
    SELECT CASE WHEN w.position = 1 THEN 'recent' ELSE 'earlier' END AS population,
           CASE WHEN w.position = 1 THEN 0 ELSE 2 END AS baseline_order,
           a.id, a.tier, a.overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c))
    FROM drift_articles a JOIN drift_windows w USING (window_name)
    WHERE a.passed AND w.position >= 1
    UNION ALL
    SELECT a.window_name, w.position + 1, a.id, a.tier, a.overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c))
    FROM drift_articles a JOIN drift_windows w USING (window_name)
    WHERE a.passed AND w.position > 1 AND (SELECT count(*) FROM drift_windows WHERE position >= 1) > 2
    UNION ALL
    SELECT 'train', 1, id, tier, overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c))
    FROM drift_train
), scores AS (
    UNPIVOT (SELECT population, baseline_order, id, overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM pop)
    ON COLUMNS(* EXCLUDE (population, baseline_order, id)) INTO NAME dimension VALUE value
)
SELECT population, baseline_order, id, dimension, value,
       least(greatest(round(value), 0), 10)::INTEGER::VARCHAR AS bin
FROM scores
WHERE isfinite(value) -- a NaN or infinite score is no bin's (and no mean's)
UNION ALL
SELECT population, baseline_order, id, 'tier', (tier <> getvariable('lowest_tier'))::INTEGER::DOUBLE, tier
FROM pop
WHERE tier IS NOT NULL
