-- The check that runs on every split: duplicate groups whose articles are in
-- more than one split (excluded articles aside). Any row here is a leak from
-- training into evaluation, and the split is not written.
-- An article outside dup_members is a group of its own, which cannot
-- straddle: only grouped articles are read.
-- Reads: split_assigned (id, split, dup_group, ...: sql/split/assignments.sql),
--        dup_members (id, dup_group: articles that have duplicates).
-- Returns: dup_group, splits (the splits it is in), articles.
SELECT a.dup_group, list(DISTINCT a.split ORDER BY a.split) AS splits, count(*) AS articles
FROM split_assigned a SEMI JOIN dup_members m USING (id)
WHERE a.split <> 'excluded'
GROUP BY a.dup_group
HAVING min(split) <> max(split)
ORDER BY dup_group
