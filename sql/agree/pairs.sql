-- How far oracles agree, per pair of oracles and per dimension (and the
-- overall score and tier). A pair compares single asks: every ask of a with
-- every ask of b on the articles both scored, or for an oracle against
-- itself (a = b) every two of its asks (its repeats: its noise). Each
-- article weighs the same, whatever its number of asks:
--   mae               mean |b - a|;
--   mean_offset       mean (b - a): b's bias against a, with a 95% interval
--                     offset_low..offset_high (Student's t over the articles'
--                     differences: the macro t975, sql/agree/t975.sql);
--   mae_after_offset  mean |b - a - mean_offset|: what is left once b's bias is removed;
--   spearman          rank correlation of the first ask of each side (for
--                     a = b: asks 0 and 1); null when a side is constant;
--   alpha             Krippendorff's alpha, interval metric, over every ask
--                     of both oracles on these articles (units: articles);
--   tier_agreement    (the tier row) the share of ask pairs in one tier.
-- Every figure is rounded to 10 decimals: sums in parallel come in any
-- order, and their last bits must not decide how a figure prints.
-- Reads: agree_diffs (sql/agree/diffs.sql: the pairs compared),
--        agree_scores (sql/agree/scores.sql).
-- Returns: kind (pair or self), oracle_a, oracle_b, dimension, position,
--          articles, ask_pairs, mae, mean_offset, offset_low, offset_high,
--          mae_after_offset, spearman, alpha, tier_agreement.
WITH diffs AS (
    SELECT * FROM agree_diffs
),
per_article AS (
    SELECT a, b, id, dimension, position, count(*) AS ask_pairs,
           avg(d) AS d, avg(abs(d)) AS ad, avg((d = 0)::DOUBLE) AS same,
           arg_min(score_a, (ask_a, ask_b)) AS first_a, arg_min(score_b, (ask_a, ask_b)) AS first_b
    FROM diffs
    GROUP BY ALL
),
offsets AS (
    SELECT a, b, dimension, avg(d) AS mean_offset, stddev_samp(d) AS sd, count(*) AS articles
    FROM per_article
    GROUP BY ALL
),
after_offset AS (
    SELECT a, b, dimension, avg(ad) AS mae_after_offset
    FROM (SELECT x.a, x.b, x.id, x.dimension, avg(abs(x.d - o.mean_offset)) AS ad
          FROM diffs x JOIN offsets o USING (a, b, dimension)
          GROUP BY ALL)
    GROUP BY ALL
),
ranked AS (
    SELECT a, b, dimension,
           rank() OVER (PARTITION BY a, b, dimension ORDER BY first_a)
             + (count(*) OVER (PARTITION BY a, b, dimension, first_a) - 1) / 2 AS rank_a,
           rank() OVER (PARTITION BY a, b, dimension ORDER BY first_b)
             + (count(*) OVER (PARTITION BY a, b, dimension, first_b) - 1) / 2 AS rank_b
    FROM per_article
),
spearman AS (
    SELECT a, b, dimension, corr(rank_a, rank_b) AS r
    FROM ranked
    GROUP BY ALL
),
units AS (
    SELECT p.a, p.b, p.dimension, p.id, count(*) AS m, sum(s.score) AS s1, sum(s.score * s.score) AS s2
    FROM (SELECT DISTINCT a, b, id, dimension FROM per_article) p
    JOIN agree_scores s ON s.id = p.id AND s.dimension = p.dimension AND s.oracle IN (p.a, p.b)
    GROUP BY ALL
    HAVING count(*) >= 2
),
alpha AS (
    SELECT a, b, dimension,
           sum(m) * sum(s2) - sum(s1) * sum(s1) AS expected,
           (sum(m) - 1) * sum((m * s2 - s1 * s1) / (m - 1)) AS observed
    FROM units
    GROUP BY ALL
),
summary AS (
    SELECT a, b, dimension, any_value(position) AS position, sum(ask_pairs) AS ask_pairs,
           avg(ad) AS mae, avg(same) AS same
    FROM per_article
    GROUP BY ALL
)
SELECT CASE WHEN s.a = s.b THEN 'self' ELSE 'pair' END AS kind,
       s.a AS oracle_a, s.b AS oracle_b, s.dimension, s.position, o.articles, s.ask_pairs,
       round(s.mae, 10) AS mae, round(o.mean_offset, 10) AS mean_offset,
       round(o.mean_offset - t975(o.articles - 1) * o.sd / sqrt(o.articles), 10) AS offset_low,
       round(o.mean_offset + t975(o.articles - 1) * o.sd / sqrt(o.articles), 10) AS offset_high,
       round(f.mae_after_offset, 10) AS mae_after_offset,
       round(CASE WHEN isnan(r.r) THEN NULL ELSE r.r END, 10) AS spearman,
       round(CASE WHEN al.expected > 1e-12 THEN 1 - al.observed / al.expected END, 10) AS alpha,
       round(CASE WHEN s.dimension = 'tier' THEN s.same END, 10) AS tier_agreement
FROM summary s
JOIN offsets o USING (a, b, dimension)
JOIN after_offset f USING (a, b, dimension)
LEFT JOIN spearman r USING (a, b, dimension)
LEFT JOIN alpha al USING (a, b, dimension)
ORDER BY kind, oracle_a, oracle_b, s.position
