-- The windows of scored articles, newest first: the first is the one drift
-- compares with its baselines.
-- Reads: drift_articles (sql/drift/articles.sql).
-- Returns: window_name, position (1 = the newest), window_start, articles
--          (scored), passed (by the prefilter), dated_by_scored_at
--          (articles dated by when they were scored).
SELECT window_name,
       row_number() OVER (ORDER BY window_start DESC, window_name DESC) AS position,
       window_start,
       count(*) AS articles,
       count(*) FILTER (WHERE passed) AS passed,
       count(*) FILTER (WHERE dated_by = 'scored_at') AS dated_by_scored_at
FROM drift_articles
GROUP BY window_name, window_start
ORDER BY position
