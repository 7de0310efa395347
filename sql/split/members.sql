-- Every labeled article with what its split depends on: its stratum, its
-- duplicate group, its previous split, and whether it must be excluded.
-- Reads: split_strata (id, stratum), dup_members (id, dup_group: only articles
--        that have duplicates), split_excluded (id, note), splits_previous (id, split, seed,
--        assigned_run_id, ...).
-- Returns: id, stratum, dup_group (the article's own id when it has no duplicate), in_group,
--          prev_split, prev_seed, prev_run_id, excluded, note.
SELECT s.id, s.stratum, coalesce(m.dup_group, s.id) AS dup_group, m.dup_group IS NOT NULL AS in_group,
       p.split AS prev_split, p.seed AS prev_seed, p.assigned_run_id AS prev_run_id,
       x.id IS NOT NULL AS excluded, x.note
FROM split_strata s
LEFT JOIN dup_members m USING (id)
LEFT JOIN split_excluded x USING (id)
LEFT JOIN splits_previous p USING (id)
