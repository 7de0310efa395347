-- Duplicate groups, the unit of assignment: a group's articles always share
-- one split. An article with no duplicate is a group of one, named by its id.
-- Reads: split_strata (id, stratum), dup_members (id, dup_group: only articles
--        that have duplicates), split_excluded (id, note), splits_previous (id, split, ...).
-- Returns: dup_group, stratum (of the group's smallest id), size, prev_split
--          (the split its already-assigned articles have, NULL for a new group),
--          prev_splits (how many different splits those are: more than 1 is an error).
WITH members AS (
    SELECT s.id, s.stratum, coalesce(m.dup_group, s.id) AS dup_group, p.split AS prev_split
    FROM split_strata s
    LEFT JOIN dup_members m USING (id)
    LEFT JOIN splits_previous p USING (id)
    WHERE s.id NOT IN (SELECT id FROM split_excluded)
)
SELECT dup_group, arg_min(stratum, id) AS stratum, count(*) AS size,
       min(prev_split) AS prev_split, count(DISTINCT prev_split) AS prev_splits
FROM members
GROUP BY dup_group
