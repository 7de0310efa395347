-- The windows of scored articles, newest first, and which one drift
-- compares with its baselines: the newest holding at least $min_articles
-- scored articles (a week under way, or a few undated articles dated by
-- when they were scored, would otherwise be compared and never judged);
-- the newest window when none is that large.
-- Reads: drift_articles (sql/drift/articles.sql).
-- Parameters: $min_articles.
-- Returns: window_name, position (1 = the window compared, 2, 3, ... the
--          windows before it, newest first; 0 = a newer window, too small
--          to compare: listed, not compared, nor a baseline), window_start,
--          articles (scored), passed (by the prefilter), dated_by_scored_at
--          (articles dated by when they were scored).
WITH w AS (
    SELECT window_name, window_start, count(*) AS articles,
           count(*) FILTER (WHERE passed) AS passed,
           count(*) FILTER (WHERE dated_by = 'scored_at') AS dated_by_scored_at,
           row_number() OVER (ORDER BY window_start DESC, window_name DESC) AS newest
    FROM drift_articles
    GROUP BY window_name, window_start
), pick AS (
    SELECT coalesce(min(newest) FILTER (WHERE articles >= $min_articles), 1) AS at FROM w
)
SELECT window_name,
       CASE WHEN newest < pick.at THEN 0 ELSE newest - pick.at + 1 END AS position,
       window_start, articles, passed, dated_by_scored_at
FROM w, pick
ORDER BY newest
