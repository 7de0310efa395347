-- How far the candidate's scores are from production's, per dimension and
-- overall, over the articles both passed.
-- Reads: scores_input, shadow_input (as in sql/shadow/both.sql).
-- Parameters: $candidate, $production; the variable dimensions (the filter's,
--             in order).
-- Returns: dimension, articles, mae (mean absolute difference), mean_diff
--          (candidate minus production); the dimensions in the filter's
--          order, then overall.
WITH prod AS (
    SELECT * FROM scores_input
    QUALIFY row_number() OVER (PARTITION BY id ORDER BY model = $production DESC, scored_at DESC, model DESC) = 1
), p AS (
    UNPIVOT (SELECT id, overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM prod WHERE passed)
    ON COLUMNS(* EXCLUDE (id)) INTO NAME dimension VALUE production
), c AS (
    UNPIVOT (SELECT id, overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM shadow_input WHERE passed AND model = $candidate)
    ON COLUMNS(* EXCLUDE (id)) INTO NAME dimension VALUE candidate
)
SELECT p.dimension, count(*) AS articles,
       round(avg(abs(c.candidate - p.production)), 10) AS mae,
       round(avg(c.candidate - p.production), 10) AS mean_diff
FROM p JOIN c USING (id, dimension)
GROUP BY p.dimension
ORDER BY coalesce(list_position(getvariable('dimensions'), p.dimension), 1000), p.dimension
