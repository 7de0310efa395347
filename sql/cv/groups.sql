-- The duplicate groups cross-validation deals into folds: every labeled,
-- split article with a text (train, val and test alike: a fold model is
-- never kept, so the test split is not spent), grouped as split grouped
-- it, so that near-duplicates stay in one fold. A group whose members sit
-- in different strata goes with its smallest id's stratum, as in split.
-- Reads: examples (sql/students/examples.sql), splits_input (a snapshot of <filter>.splits).
-- Parameters: $seed (BIGINT).
-- Returns: dup_group, stratum, size, ids (VARCHAR[]), ordered as the folds
--          are dealt: by stratum, largest group first, then by a seeded hash.
WITH groups AS (
    SELECT coalesce(s.dup_group, e.id) AS dup_group,
           arg_min(coalesce(s.stratum, ''), e.id) AS stratum,
           count(*) AS size,
           list(e.id ORDER BY e.id) AS ids
    FROM examples e
    JOIN splits_input s USING (id)
    GROUP BY 1
)
SELECT dup_group, stratum, size, ids
FROM groups
ORDER BY stratum, size DESC, hash($seed::VARCHAR || ':' || dup_group), dup_group
