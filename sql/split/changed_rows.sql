-- How many rows an incremental split changes against the previous one: none
-- means the split is unchanged and nothing is written.
-- Reads: split_final (sql/split/final.sql), splits_previous (sql/split/previous.sql).
-- Returns: changed.
SELECT count(*) AS changed FROM (
    (SELECT id, split, stratum, dup_group, balanced_out, note FROM split_final
     EXCEPT SELECT id, split, stratum, dup_group, coalesce(balanced_out, false), note FROM splits_previous)
    UNION ALL
    (SELECT id, split, stratum, dup_group, coalesce(balanced_out, false), note FROM splits_previous
     EXCEPT SELECT id, split, stratum, dup_group, balanced_out, note FROM split_final)
)
