-- The cells of each model's tier confusion matrix, by tier rank (1 = top).
-- Reads: eval_tier_confusion (sql/eval/tier_confusion.sql).
-- Returns: model, oracle_rank, predicted_rank, articles.
SELECT model, oracle_rank, predicted_rank, articles
FROM eval_tier_confusion
ORDER BY model, oracle_rank, predicted_rank
