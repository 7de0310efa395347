-- The baseline every student must beat: predicting each dimension's mean
-- over the training examples, scored by MAE on the validation examples.
-- Reads: examples (sql/students/examples.sql).
-- Returns: baseline_mae (mean over dimensions and validation articles; NULL without validation examples).
WITH train AS (
    SELECT generate_subscripts(labels, 1) AS d, unnest(labels) AS y
    FROM examples WHERE split = 'train' AND NOT balanced_out
),
means AS (
    SELECT d, avg(y) AS mu FROM train GROUP BY d
),
val AS (
    SELECT generate_subscripts(labels, 1) AS d, unnest(labels) AS y
    FROM examples WHERE split = 'val'
)
SELECT avg(abs(val.y - means.mu)) AS baseline_mae
FROM val JOIN means USING (d)
