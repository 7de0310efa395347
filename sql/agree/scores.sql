-- Every ask's scores in long form: one row per dimension, one for the
-- overall score (position 1000) and one for the tier (position 1001), whose
-- score is the tier's level: 0 for the lowest tier, 1 for the next, so a
-- positive offset means a higher tier. A dimension the label left null is
-- left out.
-- Reads: agree_asks (sql/agree/asks.sql),
--        agree_tiers (id = label_key, overall, tier_rank: sql/labels/combined_tiers.sql over sql/agree/ask_wide.sql),
--        filter_dimensions (dimension, weight, position),
--        filter_tiers (tier, min_score, tier_rank: 1 = the highest).
-- Variables: dimensions (VARCHAR[]: the dimension columns).
-- Returns: id, oracle, ask, dimension, position, score.
WITH dims AS (
    UNPIVOT (SELECT id, oracle, ask, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM agree_asks)
    ON COLUMNS(c -> list_contains(getvariable('dimensions'), c))
    INTO NAME dimension VALUE score
)
SELECT d.id, d.oracle, d.ask, d.dimension, f.position, d.score::DOUBLE AS score
FROM dims d JOIN filter_dimensions f USING (dimension)
UNION ALL
SELECT a.id, a.oracle, a.ask, 'overall', 1000, t.overall::DOUBLE
FROM agree_asks a JOIN agree_tiers t ON t.id = a.label_key
UNION ALL
SELECT a.id, a.oracle, a.ask, 'tier', 1001, ((SELECT max(tier_rank) FROM filter_tiers) - t.tier_rank)::DOUBLE
FROM agree_asks a JOIN agree_tiers t ON t.id = a.label_key
