-- Krippendorff's alpha (interval metric) across every oracle and every ask,
-- per dimension (and the overall score and tier): units are articles, each
-- ask a value; articles with a single ask are not pairable and left out.
-- alpha = 1 - (n - 1) * sum_u (m_u * S2_u - S1_u^2) / (m_u - 1) / (n * S2 - S1^2),
-- with m_u the asks of article u, S1 and S2 sums of scores and of squares,
-- n the pairable asks. Null when every value is the same. Rounded to 10
-- decimals, as sql/agree/pairs.sql's figures.
-- Reads: agree_scores (sql/agree/scores.sql).
-- Returns: dimension, position, articles (pairable units), asks, alpha.
WITH units AS (
    SELECT dimension, any_value(position) AS position, id, count(*) AS m,
           sum(score) AS s1, sum(score * score) AS s2
    FROM agree_scores
    GROUP BY dimension, id
    HAVING count(*) >= 2
)
SELECT dimension, any_value(position) AS position, count(*) AS articles, sum(m) AS asks,
       round(CASE WHEN sum(m) * sum(s2) - sum(s1) * sum(s1) > 1e-12
            THEN 1 - (sum(m) - 1) * sum((m * s2 - s1 * s1) / (m - 1)) / (sum(m) * sum(s2) - sum(s1) * sum(s1)) END, 10) AS alpha
FROM units
GROUP BY dimension
ORDER BY position
