-- Per score column of a labels table, the mean at A and at B and its shift
-- (B minus A): over all rows, and over the ids labeled at both snapshots,
-- taking each id's latest label (by labeled_at) at each snapshot.
-- Reads: diff_a, diff_b (the labels table at snapshots A and B, diff_key = id).
-- Variables: diff_dimensions (VARCHAR[]: the dimension columns, then overall),
--   diff_columns (VARCHAR[]: the compared columns; their hash breaks labeled_at ties).
-- Returns dimension, rows_a, mean_a, rows_b, mean_b, shift, common_ids,
--   common_mean_a, common_mean_b, common_shift (in diff_dimensions order).
WITH latest_a AS (
    SELECT * FROM (SELECT *, hash(*COLUMNS(c -> list_contains(getvariable('diff_columns'), c))) AS diff_row FROM diff_a)
    QUALIFY row_number() OVER (PARTITION BY diff_key ORDER BY labeled_at DESC NULLS LAST, diff_row) = 1
), latest_b AS (
    SELECT * FROM (SELECT *, hash(*COLUMNS(c -> list_contains(getvariable('diff_columns'), c))) AS diff_row FROM diff_b)
    QUALIFY row_number() OVER (PARTITION BY diff_key ORDER BY labeled_at DESC NULLS LAST, diff_row) = 1
), common AS (
    SELECT diff_key FROM latest_a INTERSECT SELECT diff_key FROM latest_b
), all_a AS (
    SELECT dimension, count(*) AS n, avg(score) AS mean
    FROM (UNPIVOT (SELECT COLUMNS(c -> list_contains(getvariable('diff_dimensions'), c)) FROM diff_a)
          ON COLUMNS(*) INTO NAME dimension VALUE score)
    GROUP BY dimension
), all_b AS (
    SELECT dimension, count(*) AS n, avg(score) AS mean
    FROM (UNPIVOT (SELECT COLUMNS(c -> list_contains(getvariable('diff_dimensions'), c)) FROM diff_b)
          ON COLUMNS(*) INTO NAME dimension VALUE score)
    GROUP BY dimension
), common_a AS (
    SELECT dimension, avg(score) AS mean
    FROM (UNPIVOT (SELECT COLUMNS(c -> list_contains(getvariable('diff_dimensions'), c))
                   FROM latest_a WHERE diff_key IN (SELECT diff_key FROM common))
          ON COLUMNS(*) INTO NAME dimension VALUE score)
    GROUP BY dimension
), common_b AS (
    SELECT dimension, avg(score) AS mean
    FROM (UNPIVOT (SELECT COLUMNS(c -> list_contains(getvariable('diff_dimensions'), c))
                   FROM latest_b WHERE diff_key IN (SELECT diff_key FROM common))
          ON COLUMNS(*) INTO NAME dimension VALUE score)
    GROUP BY dimension
), dims AS (
    SELECT unnest(getvariable('diff_dimensions')) AS dimension
)
SELECT d.dimension,
       coalesce(aa.n, 0) AS rows_a, aa.mean AS mean_a,
       coalesce(ab.n, 0) AS rows_b, ab.mean AS mean_b,
       ab.mean - aa.mean AS shift,
       (SELECT count(*) FROM common) AS common_ids,
       ca.mean AS common_mean_a, cb.mean AS common_mean_b,
       cb.mean - ca.mean AS common_shift
FROM dims d
LEFT JOIN all_a aa USING (dimension)
LEFT JOIN all_b ab USING (dimension)
LEFT JOIN common_a ca USING (dimension)
LEFT JOIN common_b cb USING (dimension)
ORDER BY list_position(getvariable('diff_dimensions'), d.dimension)
