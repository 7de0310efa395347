-- Every label as one ask of its oracle: an oracle is KIND/MODEL (the labels'
-- oracle and model), and an article's asks of one oracle are numbered from 0
-- by their repeat index (label --repeat), then by when they were written
-- (a relabel under --full or of another prompt version counts as another
-- ask of the same oracle).
-- Reads: labels_all (a snapshot of <filter>.labels; "repeat" NULL where the
--        table predates it).
-- Variables: dimensions (VARCHAR[]: the dimension columns).
-- Returns: label_key (a number naming the row), id, oracle, ask, one column
--          per dimension, one <dimension>_evidence column per dimension,
--          n_labels (1), labeled_at.
SELECT row_number() OVER (ORDER BY id, oracle, model, "repeat", labeled_at, run_id, cache_key) AS label_key,
       id,
       coalesce(oracle, '') || '/' || coalesce(model, '') AS oracle,
       row_number() OVER (PARTITION BY id, oracle, model
                          ORDER BY coalesce("repeat", 0), labeled_at, run_id, cache_key) - 1 AS ask,
       COLUMNS(c -> list_contains(getvariable('dimensions'), c)),
       COLUMNS(c -> list_contains(list_transform(getvariable('dimensions'), d -> d || '_evidence'), c)),
       1::BIGINT AS n_labels, labeled_at
FROM labels_all
