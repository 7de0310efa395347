-- The latest drift run's comparisons (the rows of its drifted_at and
-- run_id) of the newest window with the training labels and with every
-- earlier window pooled (the report's drift section; distill drift prints
-- the others too).
-- Reads: drift_input (a snapshot of <filter>.drift), filter_dimensions
--        (dimension, weight, position).
-- Returns: recent_window, by, baseline, dimension, recent_articles,
--          baseline_articles, psi, recent_value, baseline_value, change,
--          flagged, note, threshold, drifted_at; train before earlier, the
--          dimensions in the filter's order (any other by name), then
--          overall, tier and pass_rate.
WITH latest AS (
    SELECT * FROM drift_input
    WHERE (drifted_at, run_id) = (SELECT (drifted_at, run_id) FROM drift_input ORDER BY drifted_at DESC, run_id DESC LIMIT 1)
      AND baseline IN ('train', 'earlier')
)
SELECT a.recent_window, a.by, a.baseline, a.dimension, a.recent_articles, a.baseline_articles, a.psi,
       a.recent_value, a.baseline_value, a.change, a.flagged, a.note, a.threshold, a.drifted_at
FROM latest a
LEFT JOIN filter_dimensions d USING (dimension)
ORDER BY a.baseline = 'earlier',
         CASE a.dimension WHEN 'overall' THEN 1000 WHEN 'tier' THEN 1001 WHEN 'pass_rate' THEN 1002 ELSE coalesce(d.position, 999) END,
         a.dimension
