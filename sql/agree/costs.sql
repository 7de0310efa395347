-- What each oracle's answers cost, for choosing between oracles (and
-- settings) with numbers: over its labels that were asked for (not served
-- from the cache, not imported), the mean tokens in and out and dollars
-- per label, and the total.
-- Reads: labels_all (a snapshot of <filter>.labels); the macro oracle_name
--        (sql/labels/oracle_name.sql).
-- Returns: oracle (KIND/MODEL), paid (labels asked for), tokens_in,
--          tokens_out, cost_per_label (means over paid; NULL with none),
--          cost_usd (their sum).
SELECT oracle_name(oracle, model, settings) AS oracle,
       count(*) FILTER (WHERE NOT coalesce(cached, false) AND NOT coalesce(imported, false)) AS paid,
       avg(tokens_in) FILTER (WHERE NOT coalesce(cached, false) AND NOT coalesce(imported, false)) AS tokens_in,
       avg(tokens_out) FILTER (WHERE NOT coalesce(cached, false) AND NOT coalesce(imported, false)) AS tokens_out,
       avg(cost_usd) FILTER (WHERE NOT coalesce(cached, false) AND NOT coalesce(imported, false)) AS cost_per_label,
       coalesce(sum(cost_usd), 0) AS cost_usd
FROM labels_all
GROUP BY ALL
ORDER BY oracle
