-- Every example's oracle scores, for fitting a fold model's calibration on
-- its validation fold.
-- Reads: examples (sql/students/examples.sql).
-- Returns: id, labels (DOUBLE[]: the scores in dimensions order).
SELECT id, labels FROM examples ORDER BY id
