-- Duplicate groups, the unit of assignment: a group's articles always share
-- one split. An article with no duplicate is a group of one, named by its id
-- (most articles: they pass through without being grouped).
-- Reads: split_members (id, stratum, dup_group, in_group, prev_split, excluded:
--        see sql/split/members.sql).
-- Returns: dup_group, stratum (of the group's smallest id), size, prev_split
--          (the split its already-assigned articles have, NULL for a new group),
--          prev_splits (how many different splits those are: more than 1 is an error).
SELECT dup_group, stratum, 1::BIGINT AS size, prev_split, (prev_split IS NOT NULL)::BIGINT AS prev_splits
FROM split_members
WHERE NOT excluded AND NOT in_group
UNION ALL
SELECT dup_group, arg_min(stratum, id), count(*), min(prev_split), count(DISTINCT prev_split)
FROM split_members
WHERE NOT excluded AND in_group
GROUP BY dup_group
