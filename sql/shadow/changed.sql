-- The articles that changed tier, the largest moves of the overall score
-- first, for a person to read.
-- Reads: shadow_both (sql/shadow/both.sql).
-- Parameters: $limit (how many).
-- Returns: id, from_tier, to_tier, production_overall, candidate_overall.
SELECT id, production_tier AS from_tier, candidate_tier AS to_tier, production_overall, candidate_overall
FROM shadow_both
WHERE production_tier <> candidate_tier
ORDER BY abs(coalesce(candidate_overall, 0) - coalesce(production_overall, 0)) DESC, id
LIMIT $limit
