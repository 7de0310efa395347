-- The candidate against production on real traffic: pass rates and tier
-- flips over the articles both scored.
-- Reads: shadow_both (sql/shadow/both.sql).
-- Returns: one row: articles, production_passed, candidate_passed (the
--          prefilter's verdicts: the candidate may carry another package),
--          tier_flips (articles whose tier, or 'rejected', differs),
--          upper_production, upper_candidate (articles in the upper tiers:
--          any tier but the lowest and 'rejected').
SELECT count(*) AS articles,
       count(*) FILTER (WHERE production_passed) AS production_passed,
       count(*) FILTER (WHERE candidate_passed) AS candidate_passed,
       count(*) FILTER (WHERE production_tier <> candidate_tier) AS tier_flips,
       count(*) FILTER (WHERE production_tier <> 'rejected' AND production_tier <> getvariable('lowest_tier')) AS upper_production,
       count(*) FILTER (WHERE candidate_tier <> 'rejected' AND candidate_tier <> getvariable('lowest_tier')) AS upper_candidate
FROM shadow_both
