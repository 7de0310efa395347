-- The labels a combine rule uses: every label, or those of one oracle
-- (--combine oracle=KIND/MODEL, matched on oracle_name), and one row per
-- answer: the same answer written twice (a relabel under --full served from
-- the cache, an import read again: one id, oracle and cache key) is kept
-- once, the latest, so `mean` never weighs an answer twice (as distill agree
-- counts it once).
-- Reads: labels_all (a snapshot of <filter>.labels); the macro oracle_name
--        (sql/labels/oracle_name.sql).
-- Variables: combine_oracle (VARCHAR: an oracle's name, '' for every oracle).
-- Returns: the rows of labels_all that are used.
SELECT *
FROM labels_all
WHERE getvariable('combine_oracle') = ''
   OR oracle_name(oracle, model, settings) = getvariable('combine_oracle')
QUALIFY row_number() OVER (PARTITION BY id, oracle_name(oracle, model, settings),
                                        coalesce(cache_key, run_id || '|' || labeled_at::VARCHAR)
                           ORDER BY labeled_at DESC, run_id DESC) = 1
