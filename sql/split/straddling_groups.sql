-- The check that runs on every split: duplicate groups whose articles are in
-- more than one split (excluded articles aside). Any row here is a leak from
-- training into evaluation, and the split is not written.
-- Reads: split_assigned (id, split, dup_group, ...: sql/split/assignments.sql).
-- Returns: dup_group, splits (the splits it is in), articles.
SELECT dup_group, list(DISTINCT split ORDER BY split) AS splits, count(*) AS articles
FROM split_assigned
WHERE split <> 'excluded'
GROUP BY dup_group
HAVING min(split) <> max(split)
ORDER BY dup_group
