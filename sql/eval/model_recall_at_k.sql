-- Each model's recall@k.
-- Reads: eval_recall_at_k (sql/eval/recall_at_k.sql).
-- Returns: model, k, relevant, found, recall_at_k.
SELECT model, k, relevant, found, recall_at_k
FROM eval_recall_at_k
ORDER BY model
