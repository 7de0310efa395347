-- The labels a combine rule uses: every label, or those of one oracle
-- (--combine oracle=KIND/MODEL, matched on oracle_name).
-- Reads: labels_all (a snapshot of <filter>.labels); the macro oracle_name
--        (sql/labels/oracle_name.sql).
-- Variables: combine_oracle (VARCHAR: an oracle's name, '' for every oracle).
-- Returns: the rows of labels_all that are used.
SELECT *
FROM labels_all
WHERE getvariable('combine_oracle') = ''
   OR oracle_name(oracle, model, settings) = getvariable('combine_oracle')
