-- Each model's tier accuracy.
-- Reads: eval_tier_accuracy (sql/eval/tier_accuracy.sql).
-- Returns: model, articles, correct, tier_accuracy.
SELECT model, articles, correct, tier_accuracy
FROM eval_tier_accuracy
ORDER BY model
