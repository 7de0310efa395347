-- What the weighted MAE (sql/eval/weighted_errors.sql) stands for: how many
-- articles the labels represent once each weighs 1 / its inclusion
-- probability, and which of the evaluated articles no random draw
-- represents (a selection with no random or diverse part chose them:
-- nothing stands for the articles it passed over).
-- Reads: eval_weights (sql/eval/article_weights.sql),
--        eval_articles (sql/eval/articles.sql).
-- Returns one row: labeled (articles with a combined label), selected (of
--          them, chosen by label --select or --sample), pool (the sum of their
--          weights: the articles the labels stand for), evaluated (articles
--          scored), effective_n ((sum w)^2 / sum(w^2) over them), weighted
--          (their weights are not all equal), unrepresented (evaluated articles
--          chosen by a selection without a random part), plans (those
--          selections' plans, sorted, joined by '; ').
WITH evaluated AS (
    SELECT w.*
    FROM eval_weights w
    WHERE w.id IN (SELECT id FROM eval_articles)
)
SELECT (SELECT count(*) FROM eval_weights) AS labeled,
       (SELECT count(*) FILTER (WHERE selected_by IS NOT NULL) FROM eval_weights) AS selected,
       (SELECT coalesce(sum(weight), 0) FROM eval_weights) AS pool,
       count(*) AS evaluated,
       coalesce(sum(weight) * sum(weight) / sum(weight * weight), 0) AS effective_n,
       coalesce(max(weight) - min(weight) > 1e-9 * max(weight), false) AS weighted,
       count(*) FILTER (WHERE NOT unbiased) AS unrepresented,
       coalesce(string_agg(DISTINCT split_part(trim(selection), ' ', 1), '; ' ORDER BY split_part(trim(selection), ' ', 1))
                FILTER (WHERE NOT unbiased), '') AS plans
FROM evaluated
