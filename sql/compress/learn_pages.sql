-- The pages the boilerplate of some sources is learned from: at most $cap a
-- source, chosen by a hash of the id so that the choice (and its order) is
-- the same on every machine.
-- Reads: compress_raw (a snapshot of corpus.raw).
-- Params: $sources (the sources to learn), $cap (pages a source at most).
-- Returns: source, content, ordered by source.
WITH learn AS (SELECT DISTINCT unnest($sources::VARCHAR[]) AS source)
SELECT l.source, coalesce(r.content, '') AS content
FROM compress_raw r
JOIN learn l ON l.source = coalesce(nullif(r.source, ''), r.dataset)
QUALIFY row_number() OVER (PARTITION BY l.source ORDER BY md5(r.id), r.id) <= $cap
ORDER BY l.source, md5(r.id), r.id
