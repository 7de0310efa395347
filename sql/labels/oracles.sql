-- The oracles a filter's labels come from, each named KIND/MODEL as
-- --combine oracle=... and distill agree name them.
-- Reads: labels_all (a snapshot of <filter>.labels).
-- Returns: oracle (KIND/MODEL), labels, most labels first.
SELECT coalesce(oracle, '') || '/' || coalesce(model, '') AS oracle, count(*) AS labels
FROM labels_all
GROUP BY ALL
ORDER BY labels DESC, oracle
