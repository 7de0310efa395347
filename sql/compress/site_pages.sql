-- How many articles each source has: what decides whether its boilerplate
-- is learned (again).
-- Reads: compress_raw (a snapshot of corpus.raw).
-- Returns: source (the article's source, else its dataset; the key the
--          boilerplate is learned per), pages (rows).
SELECT coalesce(nullif(source, ''), dataset) AS source, count(*) AS pages
FROM compress_raw
WHERE coalesce(nullif(source, ''), dataset) IS NOT NULL
GROUP BY ALL
ORDER BY source
