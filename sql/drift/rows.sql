-- What a drift run records: the PSI rows and, against every earlier
-- baseline, the pass rate (the share of scored articles the prefilter
-- passed; the training labels have none), each judged. A row is flagged
-- when its PSI is above $psi_threshold, or pass_rate's change is beyond
-- $pass_threshold either way; never when a side has fewer than
-- $min_articles articles (too few to tell drift from chance: noted).
-- Reads: drift_psi (sql/drift/psi.sql), drift_windows (sql/drift/windows.sql).
-- Parameters: $psi_threshold, $pass_threshold, $min_articles.
-- Variables: dimensions (VARCHAR[]: the filter's, in order).
-- Returns: window_name (the newest), baseline, dimension, recent_articles,
--          baseline_articles, psi, recent_value, baseline_value, change,
--          flagged, note, dated_by_scored_at (of the newest window);
--          baselines train, earlier, then the windows newest first; the
--          dimensions in the filter's order, then overall, tier, pass_rate.
WITH recent AS (
    SELECT * FROM drift_windows WHERE position = 1
), earlier AS (
    SELECT 'earlier' AS baseline, 2 AS baseline_order, sum(articles) AS articles, sum(passed) AS passed
    FROM drift_windows WHERE position > 1 HAVING count(*) > 0
    UNION ALL
    SELECT window_name, position + 1, articles, passed
    FROM drift_windows WHERE position > 1 AND (SELECT count(*) FROM drift_windows WHERE position >= 1) > 2
), pass AS (
    SELECT e.baseline, e.baseline_order, 'pass_rate' AS dimension, r.articles AS recent_articles,
           e.articles AS baseline_articles, NULL::DOUBLE AS psi,
           round(r.passed / r.articles, 10) AS recent_value, round(e.passed / e.articles, 10) AS baseline_value
    FROM earlier e, recent r
), judged AS (
    SELECT *, round(recent_value - baseline_value, 10) AS change,
           CASE WHEN recent_articles < $min_articles OR baseline_articles < $min_articles
                THEN 'too few articles to judge: ' || recent_articles || ' against ' || baseline_articles || ', fewer than ' || $min_articles || ' on a side'
                ELSE '' END AS note
    FROM (SELECT * FROM drift_psi UNION ALL SELECT * FROM pass)
)
SELECT (SELECT window_name FROM recent) AS window_name, baseline, dimension, recent_articles, baseline_articles, psi,
       recent_value, baseline_value, change,
       note = '' AND (coalesce(psi > $psi_threshold, false) OR (dimension = 'pass_rate' AND abs(change) > $pass_threshold)) AS flagged,
       note, (SELECT dated_by_scored_at FROM recent) AS dated_by_scored_at
FROM judged
ORDER BY baseline_order, baseline,
         coalesce(list_position(getvariable('dimensions'), dimension),
                  len(getvariable('dimensions')) + list_position(['overall', 'tier', 'pass_rate'], dimension))
