-- Every distinct answer as one ask of its oracle: an oracle is named by
-- oracle_name (sql/labels/oracle_name.sql: KIND/MODEL and any settings). Articles whose compressed text is the same
-- (duplicates: the labeler asks once for all of them) are one question,
-- named by the smallest of their ids, so a duplicate never counts twice;
-- the same answer written twice (a relabel served from the cache, an
-- import read again: one cache key) is one ask. A question's asks of one
-- oracle are numbered from 0 by their repeat index (label --repeat), then
-- by when they were written (a relabel of another prompt version counts as
-- another ask of the same oracle).
-- Reads: labels_all (a snapshot of <filter>.labels; "repeat" and settings
--        NULL where the table predates them); the macro oracle_name.
-- Variables: dimensions (VARCHAR[]: the dimension columns).
-- Returns: label_key (a number naming the row), id (the question), oracle,
--          ask, one column per dimension, one <dimension>_evidence column
--          per dimension, n_labels (1), labeled_at.
WITH texts AS (
    SELECT DISTINCT id, input_sha256
    FROM labels_all
    WHERE NOT coalesce(imported, false) AND input_sha256 IS NOT NULL
),
questions AS (
    SELECT id, min(unit) AS unit
    FROM (SELECT id, min(id) OVER (PARTITION BY input_sha256) AS unit FROM texts)
    GROUP BY id
),
answers AS (
    SELECT coalesce(q.unit, l.id) AS question, oracle_name(l.oracle, l.model, l.settings) AS oracle_named, l.*
    FROM labels_all l LEFT JOIN questions q USING (id)
    QUALIFY row_number() OVER (PARTITION BY question, oracle_named,
                                            coalesce(l.cache_key, l.id || '|' || l.run_id || '|' || l.labeled_at::VARCHAR)
                               ORDER BY l.labeled_at, l.id) = 1
)
SELECT row_number() OVER (ORDER BY question, oracle_named, "repeat", labeled_at, run_id, cache_key) AS label_key,
       question AS id,
       oracle_named AS oracle,
       row_number() OVER (PARTITION BY question, oracle_named
                          ORDER BY coalesce("repeat", 0), labeled_at, run_id, cache_key) - 1 AS ask,
       COLUMNS(c -> list_contains(getvariable('dimensions'), c)),
       COLUMNS(c -> list_contains(list_transform(getvariable('dimensions'), d -> d || '_evidence'), c)),
       1::BIGINT AS n_labels, labeled_at
FROM answers
