-- The oracles a filter's labels come from, each named KIND/MODEL as
-- --combine oracle=... and distill agree name them, with its labels and
-- the articles they score (more labels than articles: repeats, relabels).
-- Reads: labels_all (a snapshot of <filter>.labels); the macro oracle_name
--        (sql/labels/oracle_name.sql).
-- Returns: oracle (KIND/MODEL), labels, articles; most labels first.
SELECT oracle_name(oracle, model, settings) AS oracle, count(*) AS labels, count(DISTINCT id) AS articles
FROM labels_all
GROUP BY ALL
ORDER BY labels DESC, oracle
