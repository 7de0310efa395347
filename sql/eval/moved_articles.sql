-- Articles scored on a split other than the one they were in when
-- predicted (the split was remade since, e.g. with --fresh): a model may
-- have trained on them.
-- Reads: eval_articles (sql/eval/articles.sql).
-- Returns: model, predicted_split, articles.
SELECT model, predicted_split, count(*) AS articles
FROM eval_articles
WHERE predicted_split IS NOT NULL AND predicted_split <> split
GROUP BY ALL
ORDER BY ALL
