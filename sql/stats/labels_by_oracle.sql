-- Label rows by where they came from: oracle kind, model and prompt version
-- (the sha256 of the filter package, which holds prompt.md; prompt_sha256 on
-- a label row is the hash of its rendered prompt, one per article).
-- Reads: labels_input (a snapshot of <filter>.labels).
-- Returns: oracle, model, filter_sha256, imported, labels, articles, cached,
--          cost_usd, first_labeled, last_labeled; most labels first.
SELECT oracle, model, filter_sha256, coalesce(imported, false) AS imported,
       count(*) AS labels, count(DISTINCT id) AS articles,
       count(*) FILTER (WHERE cached) AS cached,
       coalesce(sum(cost_usd), 0) AS cost_usd,
       min(labeled_at) AS first_labeled, max(labeled_at) AS last_labeled
FROM labels_input
GROUP BY ALL
ORDER BY labels DESC, oracle, model, filter_sha256
