-- Which columns changed, counted over the keys that have exactly one row at
-- each snapshot (for keys with several rows, which row matches which is
-- ambiguous; diff/keys.sql still counts them as changed or not).
-- Reads: diff_a, diff_b (the table at snapshots A and B, with diff_key).
-- Variables: diff_columns (VARCHAR[]: the columns compared).
-- Returns column_name, keys_changed (only columns with a change).
WITH a AS (
    UNPIVOT (
        SELECT diff_key, hash(COLUMNS(c -> list_contains(getvariable('diff_columns'), c)))
        FROM diff_a
        QUALIFY count(*) OVER (PARTITION BY diff_key) = 1
    ) ON COLUMNS(* EXCLUDE (diff_key)) INTO NAME column_name VALUE h
), b AS (
    UNPIVOT (
        SELECT diff_key, hash(COLUMNS(c -> list_contains(getvariable('diff_columns'), c)))
        FROM diff_b
        QUALIFY count(*) OVER (PARTITION BY diff_key) = 1
    ) ON COLUMNS(* EXCLUDE (diff_key)) INTO NAME column_name VALUE h
)
SELECT a.column_name, count(*) AS keys_changed
FROM a JOIN b ON a.diff_key = b.diff_key AND a.column_name = b.column_name
WHERE a.h <> b.h
GROUP BY a.column_name
ORDER BY keys_changed DESC, a.column_name
