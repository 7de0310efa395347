-- The oracles' agreement as the latest agree run measured it: every pair
-- and self row it wrote (the oracle and alpha-across-all rows are left
-- out), dimensions in the filter's order, then overall and tier.
-- Reads: agreements_input (a snapshot of <filter>.agreements),
--        filter_dimensions (dimension, weight, position).
-- Returns: kind, oracle_a, oracle_b, dimension, articles, mae, mean_offset,
--          offset_low, offset_high, mae_after_offset, spearman, alpha,
--          tier_agreement, agreed_at; self rows after pair rows.
WITH latest AS (
    SELECT run_id, agreed_at
    FROM agreements_input
    ORDER BY agreed_at DESC NULLS LAST, run_id DESC
    LIMIT 1
)
SELECT a.kind, a.oracle_a, a.oracle_b, a.dimension, a.articles, a.mae, a.mean_offset, a.offset_low, a.offset_high,
       a.mae_after_offset, a.spearman, a.alpha, a.tier_agreement, a.agreed_at
FROM agreements_input a
JOIN latest USING (run_id, agreed_at)
LEFT JOIN filter_dimensions d USING (dimension)
WHERE a.kind IN ('pair', 'self')
ORDER BY a.kind, a.oracle_a, a.oracle_b,
         coalesce(d.position, CASE a.dimension WHEN 'overall' THEN 1000 ELSE 1001 END)
