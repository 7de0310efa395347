-- The stratum of each labeled article: its tier, or a 2-point bin of its
-- overall score or of one dimension's score ('0-2', '2-4', ..., '8-10').
-- Reads: combined_labels (id, overall, tier, ...: sql/labels/combined_tiers.sql),
--        combined_scores (id, dimension, score, ...).
-- Parameters: $stratify_by::VARCHAR (VARCHAR): 'tier', 'overall_bin' or '<dimension>_bin'.
-- Returns: id, stratum.
WITH binned AS (
    SELECT a.id, a.tier,
           CASE WHEN $stratify_by::VARCHAR = 'overall_bin' THEN a.overall ELSE s.score END AS x
    FROM combined_labels a
    LEFT JOIN combined_scores s ON s.id = a.id AND s.dimension || '_bin' = $stratify_by::VARCHAR
)
SELECT id,
       CASE WHEN $stratify_by::VARCHAR = 'tier' THEN tier
            ELSE (least(greatest(floor(x / 2), 0), 4) * 2)::INTEGER || '-' ||
                 (least(greatest(floor(x / 2), 0), 4) * 2 + 2)::INTEGER
       END AS stratum
FROM binned
