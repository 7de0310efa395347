-- How many compressed texts were cut by another version of their source's
-- learned model than the current one (or by the rules alone, when their
-- source has a model now): compress keeps them as they are, so that their
-- labels and splits stay valid, and says how many there are.
-- Reads: compress_current (the compressed snapshot), compress_raw (corpus.raw).
-- Params: $sources, $versions (the current model: each source's version, in
--         the same order).
-- Returns: texts.
WITH current_model AS (
    SELECT unnest($sources::VARCHAR[]) AS source, unnest($versions::VARCHAR[]) AS version
)
SELECT count(*) AS texts
FROM compress_current c
JOIN compress_raw r USING (id)
JOIN current_model m ON m.source = coalesce(nullif(r.source, ''), r.dataset)
WHERE c.boilerplate_version IS DISTINCT FROM m.version
