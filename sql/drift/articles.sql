-- Each article's newest score (what the application reads: the row with the
-- latest scored_at, as sql/score/newest.sql) and the window it falls in.
-- Reads: drift_scores (a snapshot of <filter>.scores), drift_raw (a snapshot
--        of corpus.raw: id, published_date).
-- Parameters: $by: week (the ISO week, 2026-W05), day (2026-01-30) or run
--             (the score run's id). Week and day are of the published date
--             read as a timestamp or its first 10 characters as a date; an
--             article without one, or dated after it was scored, is dated by
--             scored_at instead (dated_by = 'scored_at').
-- Variables: dimensions (VARCHAR[]: the filter's dimension columns).
-- Returns: id, model, window_name, window_start (the window's first moment, for order;
--          a run's first score), dated_by ('published' or 'scored_at'),
--          passed, tier, overall, then one column per dimension.
WITH newest AS (
    SELECT * FROM drift_scores
    QUALIFY row_number() OVER (PARTITION BY id ORDER BY scored_at DESC, model DESC) = 1
), parsed_dates AS (
    -- The publisher's own date when the string starts with one (2026-01-13,
    -- 2026-01-13T23:30:00-05:00), else a timestamp or an RSS date read in
    -- UTC: never the machine's time zone, so a window is the same on every
    -- machine. A date before 1990 is a placeholder (1970-01-01), not a date.
    SELECT n.*, nullif(coalesce(try_cast(left(trim(r.published_date), 10) AS DATE),
                                timezone('UTC', try_cast(trim(r.published_date) AS TIMESTAMPTZ))::DATE,
                                try_strptime(trim(r.published_date), ['%a, %d %b %Y %H:%M:%S %z', '%a, %d %b %Y %H:%M:%S GMT', '%d %b %Y', '%b %d, %Y', '%d %B %Y', '%B %d, %Y'])::DATE),
                       NULL) AS parsed
    FROM newest n LEFT JOIN drift_raw r USING (id)
), dated AS (
    SELECT * EXCLUDE (parsed), CASE WHEN parsed >= DATE '1990-01-01' THEN parsed END AS published,
           timezone('UTC', scored_at)::DATE AS scored_day
    FROM parsed_dates
), dayed AS (
    SELECT *,
           CASE WHEN published IS NULL OR published > scored_day THEN 'scored_at' ELSE 'published' END AS dated_by,
           CASE WHEN published IS NULL OR published > scored_day THEN scored_day ELSE published END AS day
    FROM dated
)
SELECT id, model,
       CASE $by WHEN 'week' THEN strftime(day, '%G-W%V') WHEN 'day' THEN strftime(day, '%Y-%m-%d') ELSE coalesce(run_id, 'unknown') END AS window_name,
       CASE $by WHEN 'week' THEN date_trunc('week', day)::TIMESTAMP WHEN 'day' THEN day::TIMESTAMP
            ELSE min(scored_at) OVER (PARTITION BY run_id)::TIMESTAMP END AS window_start,
       dated_by, passed, tier, overall,
       COLUMNS(c -> list_contains(getvariable('dimensions'), c))
FROM dayed
ORDER BY id
