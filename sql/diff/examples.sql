-- The first few keys (in key order) of each status but 'unchanged', to show
-- what a diff is made of.
-- Reads: diff_keys (the output of diff/keys.sql).
-- Variables: diff_examples (INTEGER: keys listed per status).
-- Returns status, diff_key (as VARCHAR).
SELECT status, diff_key::VARCHAR AS diff_key
FROM diff_keys
WHERE status <> 'unchanged'
QUALIFY row_number() OVER (PARTITION BY status ORDER BY diff_key) <= getvariable('diff_examples')
ORDER BY status, diff_key
