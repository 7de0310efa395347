-- The oracles' agreement as distill agree last measured each comparison:
-- for every pair (in either orientation) and self comparison and
-- dimension, the row of the latest run that measured it (a run narrowed by
-- --a/--b replaces only what it measured), dimensions in the filter's order (any the filter
-- no longer names after them, by name), then overall and tier.
-- Reads: agreements_input (a snapshot of <filter>.agreements),
--        filter_dimensions (dimension, weight, position).
-- Returns: kind, oracle_a, oracle_b, dimension, articles, mae, mean_offset,
--          offset_low, offset_high, mae_after_offset, spearman, alpha,
--          tier_agreement, agreed_at, labels_sequence; self rows after pair rows.
WITH latest AS (
    SELECT *
    FROM agreements_input
    WHERE kind IN ('pair', 'self')
    QUALIFY row_number() OVER (PARTITION BY kind, least(oracle_a, oracle_b), greatest(oracle_a, oracle_b), dimension
                               ORDER BY agreed_at DESC NULLS LAST, run_id DESC) = 1
)
SELECT a.kind, a.oracle_a, a.oracle_b, a.dimension, a.articles, a.mae, a.mean_offset, a.offset_low, a.offset_high,
       a.mae_after_offset, a.spearman, a.alpha, a.tier_agreement, a.agreed_at, a.labels_sequence
FROM latest a
LEFT JOIN filter_dimensions d USING (dimension)
ORDER BY a.kind, a.oracle_a, a.oracle_b,
         CASE a.dimension WHEN 'overall' THEN 1000 WHEN 'tier' THEN 1001 ELSE coalesce(d.position, 999) END,
         a.dimension
