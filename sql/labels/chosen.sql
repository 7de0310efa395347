-- The labels a combine rule uses: every label, or those of one oracle
-- (--combine oracle=KIND/MODEL), matched on the labels' oracle and model.
-- Reads: labels_all (a snapshot of <filter>.labels).
-- Variables: combine_oracle (VARCHAR: KIND/MODEL, '' for every oracle).
-- Returns: the rows of labels_all that are used.
SELECT *
FROM labels_all
WHERE getvariable('combine_oracle') = ''
   OR coalesce(oracle, '') || '/' || coalesce(model, '') = getvariable('combine_oracle')
