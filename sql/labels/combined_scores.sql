-- The combined scores in long form: one row per (article, dimension), for
-- summaries and histograms.
-- Reads: combined_wide (sql/labels/combined_wide.sql).
-- Variables: dimensions (VARCHAR[]: the dimension columns).
-- Returns: id, n_labels, labeled_at, dimension, score.
UNPIVOT combined_wide
ON COLUMNS(c -> list_contains(getvariable('dimensions'), c))
INTO NAME dimension VALUE score
