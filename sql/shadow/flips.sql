-- Where the articles that changed tier went: production's tier to the
-- candidate's, with counts.
-- Reads: shadow_both (sql/shadow/both.sql).
-- Returns: from_tier, to_tier, articles; most articles first.
SELECT production_tier AS from_tier, candidate_tier AS to_tier, count(*) AS articles
FROM shadow_both
WHERE production_tier <> candidate_tier
GROUP BY ALL
ORDER BY articles DESC, from_tier, to_tier
