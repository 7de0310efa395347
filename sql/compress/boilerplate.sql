-- The learned boilerplate models, every row: each source's own row (shingle
-- NULL) first.
-- Reads: compress_boilerplate (a snapshot of corpus.boilerplate).
-- Returns: every column of corpus.boilerplate.
SELECT source, shingle, pages, version, method, source_pages, raw_sequence, learned_at, run_id
FROM compress_boilerplate
ORDER BY source, shingle NULLS FIRST
