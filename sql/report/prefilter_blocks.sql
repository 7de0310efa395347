-- Why the prefilter blocked articles, for the report's funnel: the blocked
-- articles of corpus.raw by the rule that blocked them (a rule's reasons
-- differ in detail, e.g. too_short:206_chars and too_short:214_chars, so
-- counting by reason scatters one rule over hundreds of rows), and the
-- articles of corpus.raw the prefilter has not decided on yet.
-- Reads: raw_input (a snapshot of corpus.raw: id),
--        prefiltered_input (a snapshot of <filter>.prefiltered: id, passed,
--        reason, rule).
-- Returns: rule ('(not prefiltered yet)' for the undecided), articles,
--          share_of_raw, reasons (distinct reasons of the rule), top_reason
--          (its most common, ties by name), top_reason_articles; by articles
--          (most first), then rule. No rows when nothing was blocked.
WITH raw AS (
    SELECT DISTINCT id FROM raw_input
),
blocked AS (
    SELECT p.rule, p.reason, count(DISTINCT p.id) AS articles
    FROM prefiltered_input p SEMI JOIN raw r ON r.id = p.id
    WHERE NOT p.passed
    GROUP BY ALL
    UNION ALL
    SELECT '(not prefiltered yet)', 'no decision', count(*)
    FROM raw r ANTI JOIN prefiltered_input p ON p.id = r.id
    HAVING count(*) > 0
)
SELECT rule, sum(articles)::BIGINT AS articles,
       sum(articles) / nullif((SELECT count(*) FROM raw), 0)::DOUBLE AS share_of_raw,
       count(*)::BIGINT AS reasons,
       first(reason ORDER BY articles DESC, reason) AS top_reason,
       max(articles)::BIGINT AS top_reason_articles
FROM blocked
GROUP BY rule
ORDER BY articles DESC, rule
