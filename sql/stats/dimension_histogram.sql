-- A 0-10 histogram of each dimension's scores: bin b holds scores in [b, b+1),
-- and bin 10 holds the 10s. Empty bins are listed with 0.
-- Reads: stats_scores (id, dimension, score), filter_dimensions (dimension, weight, position).
-- Returns: dimension, bin (0-10), articles; by the filter's dimension order, then bin.
WITH binned AS (
    SELECT dimension, least(greatest(floor(score), 0), 10)::INTEGER AS bin, count(*) AS articles
    FROM stats_scores
    GROUP BY ALL
)
SELECT d.dimension, b.bin, coalesce(h.articles, 0) AS articles
FROM filter_dimensions d
CROSS JOIN (SELECT range::INTEGER AS bin FROM range(11)) b
LEFT JOIN binned h ON h.dimension = d.dimension AND h.bin = b.bin
ORDER BY d.position, b.bin
