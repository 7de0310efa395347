-- The compressed articles in the order of a seeded sample: `label --sample N`
-- takes the first N (the first of each stratum under --stratify tier), so one
-- seed and one compressed snapshot give every oracle and model the same
-- articles. The order hashes 'sample:', the seed and the id as one string:
-- split orders by the seed and the id alone and fills train first, so the
-- same order would put a sample drawn with split's seed (both default to
-- 42) almost wholly in train, and none of it in test.
-- Reads: compressed_input (a snapshot of <filter>.compressed).
-- Parameters: $seed (BIGINT).
-- Returns: id, text, text_sha256, in sample order.
SELECT id, text, text_sha256
FROM compressed_input
ORDER BY hash('sample:' || $seed::VARCHAR || ':' || id), id
