-- The articles listed for review, in the order they are listed.
-- Reads: agree_listed (sql/agree/disagreements.sql).
-- Returns: id, spread, tier_flip, pairs.
SELECT id, spread, tier_flip, pairs
FROM agree_listed
ORDER BY spread DESC NULLS LAST, id
