-- The tier confusion matrix of each model's latest evaluation, one row per
-- cell: how many articles of each oracle tier the model put in each tier.
-- Reads: report_evaluations (sql/report/latest_evaluations.sql; the row with
--        dimension '_tiers' holds the cells as JSON {"oracle", "predicted",
--        "articles"}), filter_tiers (tier, min_score, tier_rank).
-- Returns: model, tier_accuracy, oracle_tier, predicted_tier, oracle_rank,
--          predicted_rank (the filter's order from the highest; a tier the filter
--          no longer has comes last), articles; models in the order they were
--          evaluated, then oracle rank, predicted rank.
WITH cells AS (
    SELECT model, tier_accuracy, evaluated_at,
           unnest(from_json(confusion, '[{"oracle": "VARCHAR", "predicted": "VARCHAR", "articles": "BIGINT"}]')) AS c
    FROM report_evaluations
    WHERE dimension = '_tiers' AND confusion IS NOT NULL
)
SELECT x.model, x.tier_accuracy, x.c.oracle AS oracle_tier, x.c.predicted AS predicted_tier,
       coalesce(o.tier_rank, 1000) AS oracle_rank, coalesce(p.tier_rank, 1000) AS predicted_rank,
       coalesce(x.c.articles, 0) AS articles
FROM cells x
LEFT JOIN filter_tiers o ON o.tier = x.c.oracle
LEFT JOIN filter_tiers p ON p.tier = x.c.predicted
ORDER BY x.evaluated_at NULLS FIRST, x.model, oracle_rank, x.c.oracle, predicted_rank, x.c.predicted
