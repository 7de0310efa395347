-- Mean, standard deviation, minimum and maximum of each dimension's score.
-- Reads: stats_scores (id, dimension, score: one row per article and dimension),
--        filter_dimensions (dimension, weight, position).
-- Returns: dimension, weight, articles, mean, std, min, max; in the filter's order.
SELECT d.dimension, d.weight, count(s.score) AS articles,
       avg(s.score) AS mean, coalesce(stddev_samp(s.score), 0) AS std,
       min(s.score) AS min, max(s.score) AS max
FROM filter_dimensions d LEFT JOIN stats_scores s USING (dimension)
GROUP BY d.dimension, d.weight, d.position
ORDER BY d.position
