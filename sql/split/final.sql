-- The rows the split writes: every labeled article's assignment with its
-- balance flag, and the articles split before that the labels read no longer
-- have (a rollback of labels), carried over as they were.
-- Reads: split_assigned (sql/split/assignments.sql), split_balanced (id, balanced_out),
--        splits_previous (sql/split/previous.sql), split_strata (id, stratum).
-- Parameters: $labels (VARCHAR: the labels snapshot read, for the note),
--             $labels_sequence (BIGINT), $run_id (VARCHAR: this run).
-- Returns: id, split, stratum, dup_group, seed, balanced_out, note, assigned_run_id,
--          kept (had this split before), labeled (has a label in the labels read),
--          labels_sequence, split_at, run_id.
SELECT *, $labels_sequence::BIGINT AS labels_sequence, now() AS split_at, $run_id::VARCHAR AS run_id
FROM (
    SELECT a.id, a.split, a.stratum, a.dup_group, a.seed, coalesce(b.balanced_out, false) AS balanced_out, a.note,
           a.assigned_run_id, a.kept, true AS labeled
    FROM split_assigned a LEFT JOIN split_balanced b USING (id)
    UNION ALL
    SELECT p.id, p.split, p.stratum, p.dup_group, p.seed, coalesce(p.balanced_out, false),
           coalesce(p.note, 'no label in ' || $labels::VARCHAR), p.assigned_run_id, true, false
    FROM splits_previous p ANTI JOIN split_strata s USING (id)
)
