-- Rows for a regression student (one output per dimension): what
-- `distill export --style regression` writes.
-- Reads: export_examples (split, id, text, labels, ...: sql/students/examples.sql, one split).
-- Variables: dimensions (VARCHAR[]: the names of the labels, in order).
-- Returns: id, text, labels (DOUBLE[]), dimension_names (VARCHAR[]).
SELECT id, text, labels, getvariable('dimensions') AS dimension_names
FROM export_examples
ORDER BY id
