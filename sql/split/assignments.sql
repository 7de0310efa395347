-- The split of every labeled article: the one it already had (never moved),
-- else its duplicate group's (an old group keeps its split for new members),
-- else the one sql/split/assign_stratified.sql gave its new group; articles
-- that would join duplicates in two different splits are 'excluded', with why.
-- Reads: split_members (sql/split/members.sql), split_groups (dup_group, prev_split, ...),
--        split_new_groups (dup_group, split).
-- Parameters: $seed (BIGINT), $run_id (VARCHAR: this run).
-- Returns: id, split, stratum, dup_group, seed (of the run that first assigned it),
--          assigned_run_id, note, kept (true when it had this split before).
SELECT m.id,
       CASE WHEN m.excluded THEN 'excluded'
            ELSE coalesce(m.prev_split, g.prev_split, n.split) END AS split,
       m.stratum, m.dup_group,
       coalesce(m.prev_seed, $seed::BIGINT) AS seed,
       coalesce(m.prev_run_id, $run_id::VARCHAR) AS assigned_run_id,
       m.note,
       m.prev_split IS NOT NULL AS kept
FROM split_members m
LEFT JOIN split_groups g USING (dup_group)
LEFT JOIN split_new_groups n USING (dup_group)
