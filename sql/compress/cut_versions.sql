-- Which learned boilerplate cut the compressed texts, per source: a text cut
-- by another version than the source's current one is rendered again.
-- Reads: compress_current (the compressed snapshot), compress_raw (corpus.raw).
-- Returns: source (source, else dataset), version (NULL: the rules alone),
--          articles.
SELECT coalesce(nullif(r.source, ''), r.dataset) AS source, c.boilerplate_version AS version, count(*) AS articles
FROM compress_current c JOIN compress_raw r USING (id)
GROUP BY ALL
ORDER BY ALL
