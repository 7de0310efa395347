-- How many articles each model is scored on (with --compare, those both
-- models predicted).
-- Reads: eval_articles (sql/eval/articles.sql).
-- Returns: model, articles.
SELECT model, count(*) AS articles FROM eval_articles GROUP BY model ORDER BY model
