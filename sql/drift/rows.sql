-- What a drift run records: the PSI rows and, against every earlier
-- baseline, the pass rate (the share of scored articles the prefilter
-- passed; the training labels have none), each judged. A row is flagged
-- when its PSI is above $psi_threshold and above chance, or pass_rate's
-- change is beyond $pass_threshold either way; never when a side has fewer
-- than $min_articles articles, nor against one earlier window of several
-- (shown; the pooled earlier windows are judged: a year of weeks judged one
-- by one would flag something by chance alone). Chance: with no shift, PSI
-- is about (1/n + 1/m) times a chi-square of (bins - 1) degrees of freedom
-- for n and m articles; its 99.9th percentile is the bound (60 articles a
-- week against 60 put it near 0.9, where a fixed 0.2 flagged a stable stream
-- every week; 1 in 1000 per row keeps a run of some twenty judged rows
-- quiet on a stable stream 98 times in 100).
-- Reads: drift_psi (sql/drift/psi.sql), drift_windows (sql/drift/windows.sql).
-- Parameters: $psi_threshold, $pass_threshold, $min_articles.
-- Variables: dimensions (VARCHAR[]: the filter's, in order).
-- Returns: window_name (the newest), baseline, dimension, recent_articles,
--          baseline_articles, psi, chance (the PSI chance reaches 1 time in
--          1000 for these counts and bins), recent_value, baseline_value, change,
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
           e.articles AS baseline_articles, NULL::DOUBLE AS psi, NULL::BIGINT AS bins,
           round(r.passed / r.articles, 10) AS recent_value, round(e.passed / e.articles, 10) AS baseline_value
    FROM earlier e, recent r
), bounded AS (
    SELECT *,
           -- chi-square's 99.9th percentiles for 1-20 degrees of freedom;
           -- beyond, df + 3.09 sqrt(2 df) + 5.7 (within 1% at 20)
           CASE WHEN psi IS NOT NULL AND bins > 1 AND recent_articles > 0 AND baseline_articles > 0 THEN
               round((1.0 / recent_articles + 1.0 / baseline_articles) *
                     CASE WHEN bins - 1 <= 20 THEN [10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877, 29.588,
                                                    31.264, 32.909, 34.528, 36.123, 37.697, 39.252, 40.790, 42.312, 43.820, 45.315][bins - 1]
                          ELSE (bins - 1) + 3.09 * sqrt(2 * (bins - 1)) + 5.7 END, 10)
           END AS chance
    FROM (SELECT * FROM drift_psi UNION ALL SELECT * FROM pass)
), judged AS (
    SELECT *, round(recent_value - baseline_value, 10) AS change,
           CASE WHEN recent_articles < $min_articles OR baseline_articles < $min_articles
                THEN 'too few articles to judge: ' || recent_articles || ' against ' || baseline_articles || ', fewer than ' || $min_articles || ' on a side'
                WHEN baseline_order > 2
                THEN 'one earlier window of several: shown, not judged (the pooled earlier windows are)'
                WHEN psi > $psi_threshold AND psi <= chance
                THEN 'within chance: ' || recent_articles || ' against ' || baseline_articles || ' articles reach a PSI of ' || round(chance, 2) || ' 1 time in 1000 with nothing moved'
                ELSE '' END AS note
    FROM bounded
)
SELECT (SELECT window_name FROM recent) AS window_name, baseline, dimension, recent_articles, baseline_articles, psi, chance,
       recent_value, baseline_value, change,
       (note = '' AND (coalesce(psi > $psi_threshold AND psi > chance, false) OR (dimension = 'pass_rate' AND abs(change) > $pass_threshold))) AS flagged,
       note, (SELECT dated_by_scored_at FROM recent) AS dated_by_scored_at
FROM judged
ORDER BY baseline_order, baseline,
         coalesce(list_position(getvariable('dimensions'), dimension),
                  len(getvariable('dimensions')) + list_position(['overall', 'tier', 'pass_rate'], dimension))
