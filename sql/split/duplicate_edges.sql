-- Pairs of articles that must share a split: exact duplicates (same
-- content_sha256 in corpus.raw; each linked to the group's smallest id) and
-- near-duplicates (MinHash signatures of the compressed text agreeing on at
-- least near_threshold of their 32 values, found through 8 LSH bands of 4
-- values: a pair at similarity 0.8 shares a band with probability 0.96).
-- Reads: split_candidates (id, content_sha256, minhash BIGINT[] or NULL),
--        splits_previous (id, split, ...: the last split; empty on a first split).
-- Variables: near_threshold (DOUBLE, 0-1).
-- Returns: a, b (a < b), kind ('exact' or 'near'), similarity,
--          a_split, b_split (their previous splits, NULL when new).
WITH exact AS (
    SELECT min(id) OVER (PARTITION BY content_sha256) AS a, id AS b
    FROM split_candidates
    WHERE content_sha256 IS NOT NULL
    QUALIFY count(*) OVER (PARTITION BY content_sha256) > 1
),
bands AS (
    SELECT id, band, hash(band, minhash[band * 4 + 1 : band * 4 + 4]) AS bucket
    FROM split_candidates, range(8) AS t(band)
    WHERE minhash IS NOT NULL AND len(minhash) = 32
),
candidates AS (
    SELECT DISTINCT x.id AS a, y.id AS b
    FROM bands x JOIN bands y ON x.band = y.band AND x.bucket = y.bucket AND x.id < y.id
),
near AS (
    SELECT c.a, c.b,
           len(list_filter(list_zip(sa.minhash, sb.minhash), p -> p[1] = p[2])) / 32 AS similarity
    FROM candidates c
    JOIN split_candidates sa ON sa.id = c.a
    JOIN split_candidates sb ON sb.id = c.b
),
edges AS (
    SELECT a, b, 'exact' AS kind, 1.0 AS similarity FROM exact WHERE a <> b
    UNION ALL
    SELECT a, b, 'near', similarity FROM near WHERE similarity >= getvariable('near_threshold')
)
SELECT e.a, e.b, min(e.kind) AS kind, max(e.similarity) AS similarity,
       any_value(pa.split) AS a_split, any_value(pb.split) AS b_split
FROM edges e
LEFT JOIN splits_previous pa ON pa.id = e.a
LEFT JOIN splits_previous pb ON pb.id = e.b
GROUP BY e.a, e.b
ORDER BY e.a, e.b
