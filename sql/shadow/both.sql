-- Production's score (the production model's row, else the newest, as
-- sql/score/newest.sql) and the candidate's shadow score of every article both
-- scored, side by side (a rejected article's tier is 'rejected').
-- Reads: scores_input (a snapshot of <filter>.scores), shadow_input (a
--        snapshot of <filter>.shadow).
-- Parameters: $candidate (the candidate model's id), $production (the
--             production model's id).
-- Returns: id, production_model, production_passed, candidate_passed,
--          production_tier, candidate_tier, production_overall,
--          candidate_overall; one row per article.
WITH prod AS (
    SELECT * FROM scores_input
    QUALIFY row_number() OVER (PARTITION BY id ORDER BY model = $production DESC, scored_at DESC, model DESC) = 1
)
SELECT p.id, p.model AS production_model, p.passed AS production_passed, c.passed AS candidate_passed,
       coalesce(p.tier, 'rejected') AS production_tier, coalesce(c.tier, 'rejected') AS candidate_tier,
       p.overall AS production_overall, c.overall AS candidate_overall
FROM prod p
JOIN shadow_input c ON c.id = p.id AND c.model = $candidate
ORDER BY p.id
