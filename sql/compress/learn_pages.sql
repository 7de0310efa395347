-- The pages the boilerplate of some sources is learned from: at most $cap a
-- source, chosen by a hash of the id so that the choice (and its order: the
-- first ones are searched for candidates) is the same on every machine.
-- Reads: compress_raw (a snapshot of corpus.raw).
-- Params: $sources (the sources to learn), $cap (pages a source at most).
-- Returns: source, content, ordered by source.
SELECT coalesce(nullif(source, ''), dataset) AS source, coalesce(content, '') AS content
FROM compress_raw
WHERE list_contains($sources, coalesce(nullif(source, ''), dataset))
QUALIFY row_number() OVER (PARTITION BY coalesce(nullif(source, ''), dataset) ORDER BY md5(id), id) <= $cap
ORDER BY source, md5(id), id
