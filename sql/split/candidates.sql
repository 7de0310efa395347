-- What duplicate grouping reads of each labeled article: the content hash of
-- its raw text and the MinHash signature of its compressed text (either NULL
-- when the article has none, e.g. imported labels with no compressed text).
-- Reads: combined_labels (id, ...), split_compressed (id, minhash BIGINT[8] or NULL),
--        split_raw (id, content_sha256).
-- Returns: id, content_sha256, minhash.
SELECT a.id, r.content_sha256, c.minhash
FROM combined_labels a
LEFT JOIN split_compressed c ON c.id = a.id
LEFT JOIN split_raw r ON r.id = a.id
