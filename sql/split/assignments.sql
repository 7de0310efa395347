-- The split of every labeled article: the one it already had (never moved),
-- else its duplicate group's (an old group keeps its split for new members),
-- else the one sql/split/assign_stratified.sql gave its new group; articles
-- that would join duplicates in two different splits are 'excluded', with why.
-- Reads: split_strata (id, stratum), dup_members (id, dup_group), split_excluded (id, note),
--        split_groups (dup_group, prev_split, ...), split_new_groups (dup_group, split),
--        splits_previous (id, split, seed, assigned_run_id, ...).
-- Variables: seed (BIGINT), run_id (VARCHAR: this run).
-- Returns: id, split, stratum, dup_group, seed (of the run that first assigned it),
--          assigned_run_id, note.
SELECT s.id,
       CASE WHEN x.id IS NOT NULL THEN 'excluded'
            ELSE coalesce(p.split, g.prev_split, n.split) END AS split,
       s.stratum,
       coalesce(m.dup_group, s.id) AS dup_group,
       coalesce(p.seed, getvariable('seed')) AS seed,
       coalesce(p.assigned_run_id, getvariable('run_id')) AS assigned_run_id,
       x.note
FROM split_strata s
LEFT JOIN dup_members m USING (id)
LEFT JOIN split_excluded x USING (id)
LEFT JOIN splits_previous p USING (id)
LEFT JOIN split_groups g ON g.dup_group = coalesce(m.dup_group, s.id)
LEFT JOIN split_new_groups n ON n.dup_group = coalesce(m.dup_group, s.id)
ORDER BY s.id
