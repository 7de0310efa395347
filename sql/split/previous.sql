-- The previous split that this one keeps: every article's split as the last
-- run left it, or nothing for a first or --fresh split.
-- Reads: splits_input (a snapshot of <filter>.splits).
-- Parameters: $incremental (BOOLEAN: false for a first or --fresh split).
-- Returns: id, split, stratum, dup_group, seed, assigned_run_id, balanced_out, note.
SELECT id, split, stratum, dup_group, seed, assigned_run_id, balanced_out, note
FROM splits_input
WHERE $incremental::BOOLEAN
