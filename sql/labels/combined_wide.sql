-- One row of scores per article when it has several labels (a relabel under
-- --full, a second oracle, an import). Most articles have one label: those
-- pass through untouched, and only the others are combined.
-- Reads: labels_input, a snapshot of <filter>.labels (one DOUBLE column per dimension);
--        the macro oracle_name (sql/labels/oracle_name.sql).
-- Variables: dimensions (VARCHAR[]: the dimension columns);
--            combine (VARCHAR): 'latest' takes the scores of the article's most
--            recent label (by labeled_at, ties broken by run_id then cache_key);
--            'mean' averages every answer's score per dimension (an answer
--            written twice, one cache key, counts once).
-- Returns: id, one column per dimension, n_labels (labels combined), labeled_at (the latest).
WITH multi AS (
    SELECT id FROM labels_input GROUP BY id HAVING count(*) > 1
)
SELECT id, COLUMNS(c -> list_contains(getvariable('dimensions'), c)), 1::BIGINT AS n_labels, labeled_at
FROM labels_input
WHERE id NOT IN (SELECT id FROM multi)
UNION ALL
SELECT id, arg_max(COLUMNS(c -> list_contains(getvariable('dimensions'), c)), (labeled_at, run_id, cache_key)),
       count(*), max(labeled_at)
FROM labels_input
WHERE getvariable('combine') <> 'mean' AND id IN (SELECT id FROM multi)
GROUP BY id
UNION ALL
SELECT id, avg(COLUMNS(c -> list_contains(getvariable('dimensions'), c))), count(*), max(labeled_at)
FROM (
    -- one row per answer: the same answer written twice (a relabel under
    -- --full served from the cache, an import read again: one id, oracle
    -- and cache key) weighs once, as distill agree counts it
    SELECT *
    FROM labels_input
    WHERE getvariable('combine') = 'mean' AND id IN (SELECT id FROM multi)
    QUALIFY row_number() OVER (PARTITION BY id, oracle_name(oracle, model, settings),
                                            coalesce(cache_key, run_id || '|' || labeled_at::VARCHAR)
                               ORDER BY labeled_at DESC, run_id DESC) = 1
)
GROUP BY id
