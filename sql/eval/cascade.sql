-- What the cascade measured last (the newest distill cascade run with a
-- threshold) keeps and forwards on the articles evaluated: the share of
-- positives (the oracle put them above the lowest tier) whose first-stage
-- overall reaches the threshold, and the share of all articles that does.
-- Reads: cascades_input (a snapshot of <filter>.cascades), predictions_input
--        (the first stage's latest prediction of each article),
--        eval_articles (sql/eval/articles.sql), filter_tiers.
-- Returns: first_model, threshold, enabled (the newest cascade row turns
--          it on), articles, positives, recall (NULL without positives),
--          forwarded; no row when no cascade was measured or the first stage
--          predicted none of the articles.
WITH measured AS (
    SELECT first_model, threshold FROM cascades_input
    WHERE threshold IS NOT NULL
    ORDER BY measured_at DESC, run_id DESC
    LIMIT 1
), newest AS (
    SELECT enabled, first_model FROM cascades_input ORDER BY measured_at DESC, run_id DESC LIMIT 1
), first AS (
    SELECT p.id, p.overall
    FROM predictions_input p JOIN measured m ON p.model = m.first_model
    QUALIFY row_number() OVER (PARTITION BY p.id ORDER BY p.predicted_at DESC, p.run_id DESC) = 1
), arts AS (
    SELECT DISTINCT id, oracle_tier <> (SELECT tier FROM filter_tiers ORDER BY tier_rank DESC LIMIT 1) AS positive
    FROM eval_articles
)
SELECT m.first_model, m.threshold,
       coalesce((SELECT enabled AND first_model = m.first_model FROM newest), false) AS enabled,
       count(*) AS articles, count(*) FILTER (WHERE a.positive) AS positives,
       round(count(*) FILTER (WHERE a.positive AND f.overall >= m.threshold) / nullif(count(*) FILTER (WHERE a.positive), 0), 10) AS recall,
       round(count(*) FILTER (WHERE f.overall >= m.threshold) / count(*), 10) AS forwarded
FROM measured m, arts a JOIN first f USING (id)
GROUP BY m.first_model, m.threshold
