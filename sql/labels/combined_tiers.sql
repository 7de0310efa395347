-- Each article's overall score and tier from its combined scores and the
-- filter, exactly as the labeler computes them (filters.Filter.ScoreOf and
-- TierOf): the weighted sum of dimension scores, capped by every gatekeeper
-- whose dimension is below its threshold, rounded to 2 decimals; the tier is
-- the highest whose minimum the score reaches, else the lowest.
-- Reads: combined_wide (sql/labels/combined_wide.sql),
--        filter_tiers (tier, min_score, tier_rank: 1 = the highest tier).
-- Variables: dimensions (VARCHAR[]: the dimension columns in their table order),
--            weights (DOUBLE[]: each dimension's weight, in that order),
--            gatekeepers (STRUCT(pos INTEGER, below DOUBLE, cap DOUBLE)[]: pos is
--            the gated dimension's position in dimensions, from 1).
-- Returns: id, overall, gated, tier, tier_rank, n_labels.
WITH scored AS (
    SELECT id, n_labels, list_value(*COLUMNS(c -> list_contains(getvariable('dimensions'), c))) AS scores
    FROM combined_wide
),
weighted AS (
    SELECT id, n_labels,
           list_dot_product(scores, getvariable('weights')) AS raw_score,
           list_min(list_transform(getvariable('gatekeepers'),
                                   g -> CASE WHEN scores[g.pos] < g.below THEN g.cap END)) AS cap
    FROM scored
),
capped AS (
    SELECT id, n_labels, coalesce(raw_score > cap, false) AS gated,
           round(CASE WHEN raw_score > cap THEN cap ELSE raw_score END, 2) AS overall
    FROM weighted
),
lowest AS (
    SELECT tier, tier_rank FROM filter_tiers ORDER BY tier_rank DESC LIMIT 1
)
SELECT c.id, c.overall, c.gated,
       coalesce(t.tier, (SELECT tier FROM lowest)) AS tier,
       coalesce(t.tier_rank, (SELECT tier_rank FROM lowest)) AS tier_rank,
       c.n_labels
FROM capped c ASOF LEFT JOIN filter_tiers t ON c.overall >= t.min_score
