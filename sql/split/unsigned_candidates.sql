-- How many labeled articles have no near-duplicate signature (compressed
-- before signatures existed, or no compressed text): only exact duplicates
-- are grouped for them.
-- Reads: split_candidates (sql/split/candidates.sql).
-- Returns: articles (one row).
SELECT count(*) FILTER (WHERE minhash IS NULL) AS articles
FROM split_candidates
