-- Each article's overall score and tier from its combined scores and the
-- filter, exactly as the labeler computes them (filters.Filter.ScoreOf and
-- TierOf): the weighted sum of dimension scores, capped by every gatekeeper
-- whose dimension is below its threshold, rounded to 2 decimals; the tier is
-- the highest whose minimum the score reaches, else the lowest.
-- Reads: combined_scores (sql/labels/combined_scores.sql),
--        filter_dimensions (dimension, weight, position),
--        filter_gatekeepers (dimension, below, cap),
--        filter_tiers (tier, min_score, tier_rank: 1 = the highest tier).
-- Returns: id, overall, gated, tier, tier_rank, n_labels.
WITH weighted AS (
    SELECT c.id, sum(c.score * d.weight) AS raw_score, max(c.n_labels) AS n_labels
    FROM combined_scores c JOIN filter_dimensions d USING (dimension)
    GROUP BY c.id
),
caps AS (
    SELECT c.id, min(g.cap) AS cap
    FROM combined_scores c JOIN filter_gatekeepers g ON g.dimension = c.dimension AND c.score < g.below
    GROUP BY c.id
),
scored AS (
    SELECT w.id, w.n_labels,
           coalesce(w.raw_score > caps.cap, false) AS gated,
           round(CASE WHEN w.raw_score > caps.cap THEN caps.cap ELSE w.raw_score END, 2) AS overall
    FROM weighted w LEFT JOIN caps USING (id)
),
lowest AS (
    SELECT tier, tier_rank FROM filter_tiers ORDER BY tier_rank DESC LIMIT 1
)
SELECT s.id, s.overall, s.gated,
       coalesce(t.tier, (SELECT tier FROM lowest)) AS tier,
       coalesce(t.tier_rank, (SELECT tier_rank FROM lowest)) AS tier_rank,
       s.n_labels
FROM scored s ASOF LEFT JOIN filter_tiers t ON s.overall >= t.min_score
