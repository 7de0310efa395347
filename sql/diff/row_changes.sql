-- Whole rows that one snapshot has and the other lacks, counted as a
-- multiset: a row is matched by an identical row (same key, same values in
-- every compared column) at the other snapshot, one for one.
-- Reads: diff_a, diff_b (the table at snapshots A and B, with diff_key).
-- Variables: diff_columns (VARCHAR[]: the columns compared).
-- Returns rows_only_a, rows_only_b.
WITH a AS (
    SELECT diff_key, hash(*COLUMNS(c -> list_contains(getvariable('diff_columns'), c))) AS h, count(*) AS n
    FROM diff_a
    GROUP BY ALL
), b AS (
    SELECT diff_key, hash(*COLUMNS(c -> list_contains(getvariable('diff_columns'), c))) AS h, count(*) AS n
    FROM diff_b
    GROUP BY ALL
)
SELECT coalesce(sum(greatest(coalesce(a.n, 0) - coalesce(b.n, 0), 0)), 0)::BIGINT AS rows_only_a,
       coalesce(sum(greatest(coalesce(b.n, 0) - coalesce(a.n, 0), 0)), 0)::BIGINT AS rows_only_b
FROM a FULL OUTER JOIN b ON a.diff_key IS NOT DISTINCT FROM b.diff_key AND a.h = b.h
