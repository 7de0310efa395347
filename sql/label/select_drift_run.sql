-- The latest drift run (distill drift), for label --select drift: its
-- newest window and what it flagged.
-- Reads: drift_input (a snapshot of <filter>.drift).
-- Returns: one row (none without a run): run_id, drifted_at, recent_window,
--          by, train_source (what the train baseline's scores were:
--          predictions:MODEL or labels), flagged (VARCHAR[]: the dimensions
--          and overall it flagged against train, by name: the baseline the
--          ranking compares with; tier and pass_rate left out: no article's
--          score places it in them).
WITH latest AS (
    SELECT * FROM drift_input
    WHERE (drifted_at, run_id) = (SELECT (drifted_at, run_id) FROM drift_input ORDER BY drifted_at DESC, run_id DESC LIMIT 1)
)
SELECT any_value(run_id) AS run_id, any_value(drifted_at) AS drifted_at, any_value(recent_window) AS recent_window,
       any_value("by") AS "by", coalesce(any_value(train_source), 'labels') AS train_source,
       coalesce(list_sort(list_distinct(list(dimension) FILTER (WHERE flagged AND baseline = 'train' AND dimension NOT IN ('tier', 'pass_rate')))), []::VARCHAR[]) AS flagged
FROM latest
HAVING count(*) > 0
