-- How many keys were added, removed, changed and left unchanged, and
-- whether the key is unique at each snapshot.
-- Reads: diff_keys (the output of diff/keys.sql).
-- Returns added, removed, changed, unchanged (keys), rows_a, rows_b,
--   max_rows_per_key_a, max_rows_per_key_b.
SELECT count(*) FILTER (WHERE status = 'added') AS added,
       count(*) FILTER (WHERE status = 'removed') AS removed,
       count(*) FILTER (WHERE status = 'changed') AS changed,
       count(*) FILTER (WHERE status = 'unchanged') AS unchanged,
       coalesce(sum(rows_a), 0)::BIGINT AS rows_a,
       coalesce(sum(rows_b), 0)::BIGINT AS rows_b,
       coalesce(max(rows_a), 0)::BIGINT AS max_rows_per_key_a,
       coalesce(max(rows_b), 0)::BIGINT AS max_rows_per_key_b
FROM diff_keys
