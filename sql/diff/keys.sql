-- Per key: was it added, removed, changed or left unchanged between two
-- snapshots of one table? A key's rows are compared as a multiset of row
-- hashes, so a key with several rows (labels: one row per relabel) is
-- unchanged only when it has exactly the same rows at both snapshots.
-- Reads: diff_a, diff_b (the table at snapshots A and B, each with its key
--   column copied to diff_key).
-- Variables: diff_columns (VARCHAR[]: the columns compared, those both
--   snapshots have less run_id and the *_at timestamps).
-- Returns diff_key, status ('added', 'removed', 'changed' or 'unchanged'),
--   rows_a, rows_b (the key's rows at A and at B).
WITH a AS (
    SELECT diff_key, count(*) AS n,
           list_sort(list(hash(*COLUMNS(c -> list_contains(getvariable('diff_columns'), c))))) AS hashes
    FROM diff_a
    GROUP BY diff_key
), b AS (
    SELECT diff_key, count(*) AS n,
           list_sort(list(hash(*COLUMNS(c -> list_contains(getvariable('diff_columns'), c))))) AS hashes
    FROM diff_b
    GROUP BY diff_key
)
SELECT coalesce(a.diff_key, b.diff_key) AS diff_key,
       CASE WHEN a.n IS NULL THEN 'added'
            WHEN b.n IS NULL THEN 'removed'
            WHEN a.hashes = b.hashes THEN 'unchanged'
            ELSE 'changed' END AS status,
       coalesce(a.n, 0) AS rows_a,
       coalesce(b.n, 0) AS rows_b
FROM a FULL OUTER JOIN b ON a.diff_key IS NOT DISTINCT FROM b.diff_key
ORDER BY diff_key
