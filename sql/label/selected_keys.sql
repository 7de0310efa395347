-- The asks a selection (label --select) has labeled, as id|cache_key: a
-- rerun of the same selection counts them back into its pool, so it
-- chooses the same articles again and labels only what it has not.
-- Reads: labels_input (a snapshot of <filter>.labels; an empty relation
--        before the first label).
-- Parameters: $selection (VARCHAR: labels.selection, the plan, budget,
--             seed and inputs).
-- Returns: key.
SELECT DISTINCT id || '|' || cache_key AS key
FROM labels_input
WHERE selection = $selection
