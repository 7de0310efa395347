-- The tier transition matrix of a labels table: for each id labeled at both
-- snapshots, its tier at A and at B, each from the id's latest label (by
-- labeled_at) at that snapshot.
-- Reads: diff_a, diff_b (the labels table at snapshots A and B, diff_key = id).
-- Variables: diff_columns (VARCHAR[]: the compared columns; their hash breaks labeled_at ties).
-- Returns tier_a, tier_b, ids, rank_a, rank_b (tiers ranked 1, 2, ... by the
--   mean overall score of their latest labels at both snapshots, highest first).
WITH latest_a AS (
    SELECT diff_key, tier, overall FROM (SELECT *, hash(*COLUMNS(c -> list_contains(getvariable('diff_columns'), c))) AS diff_row FROM diff_a)
    QUALIFY row_number() OVER (PARTITION BY diff_key ORDER BY labeled_at DESC NULLS LAST, diff_row) = 1
), latest_b AS (
    SELECT diff_key, tier, overall FROM (SELECT *, hash(*COLUMNS(c -> list_contains(getvariable('diff_columns'), c))) AS diff_row FROM diff_b)
    QUALIFY row_number() OVER (PARTITION BY diff_key ORDER BY labeled_at DESC NULLS LAST, diff_row) = 1
), ranks AS (
    SELECT tier, row_number() OVER (ORDER BY avg(overall) DESC NULLS LAST, tier) AS rank
    FROM (SELECT tier, overall FROM latest_a UNION ALL SELECT tier, overall FROM latest_b)
    GROUP BY tier
)
SELECT a.tier AS tier_a, b.tier AS tier_b, count(*) AS ids, ra.rank AS rank_a, rb.rank AS rank_b
FROM latest_a a
JOIN latest_b b ON a.diff_key = b.diff_key
LEFT JOIN ranks ra ON ra.tier IS NOT DISTINCT FROM a.tier
LEFT JOIN ranks rb ON rb.tier IS NOT DISTINCT FROM b.tier
GROUP BY ALL
ORDER BY rank_a, rank_b
