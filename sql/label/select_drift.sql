-- How far each article of the newest window sits where the scores moved
-- away from the labels, for label --select drift: over the dimensions the
-- latest drift run flagged, the sum of ln(r / b) where it is above 0, r
-- the share of the window's passed articles in the article's bin (its
-- score rounded to 0-10, as sql/drift/psi.sql bins) and b the share of
-- the labeled articles (each one's newest label) in that bin, both floored
-- at 0.001: an article in a bin the window holds ten times as often as
-- the labels scores ln 10 for that dimension.
-- Reads: drift_articles (sql/drift/articles.sql, by the run's windows),
--        drift_labels (id, labeled_at, overall, one column per dimension:
--        the filter's labels, or none).
-- Parameters: $window (the run's newest window).
-- Variables: drift_dimensions (VARCHAR[]: the flagged dimensions and
--            overall), dimensions (VARCHAR[]).
-- Returns: id, score (above 0 only); the highest first, then by id.
WITH recent AS (
    UNPIVOT (SELECT id, overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM drift_articles WHERE window_name = $window AND passed)
    ON COLUMNS(* EXCLUDE (id)) INTO NAME dimension VALUE value
), labeled AS (
    UNPIVOT (SELECT id, overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM drift_labels
             QUALIFY row_number() OVER (PARTITION BY id ORDER BY labeled_at DESC) = 1)
    ON COLUMNS(* EXCLUDE (id)) INTO NAME dimension VALUE value
), binned AS (
    SELECT 'recent' AS side, id, dimension, least(greatest(round(value), 0), 10)::INTEGER AS bin FROM recent
    WHERE list_contains(getvariable('drift_dimensions'), dimension)
    UNION ALL
    SELECT 'labels', id, dimension, least(greatest(round(value), 0), 10)::INTEGER FROM labeled
    WHERE list_contains(getvariable('drift_dimensions'), dimension)
), shares AS (
    SELECT side, dimension, bin, count(*) / sum(count(*)) OVER (PARTITION BY side, dimension) AS share
    FROM binned GROUP BY side, dimension, bin
), lift AS (
    SELECT r.dimension, r.bin, greatest(ln(greatest(r.share, 0.001) / greatest(coalesce(l.share, 0), 0.001)), 0) AS lift
    FROM shares r LEFT JOIN shares l ON l.side = 'labels' AND l.dimension = r.dimension AND l.bin = r.bin
    WHERE r.side = 'recent'
)
SELECT b.id, round(sum(lift.lift), 10) AS score
FROM binned b JOIN lift USING (dimension, bin)
WHERE b.side = 'recent'
GROUP BY b.id
HAVING sum(lift.lift) > 0
ORDER BY score DESC, b.id
