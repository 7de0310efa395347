-- Every label row's dimension scores, one row per (label row, dimension).
-- Reads: labels_input, a snapshot of <filter>.labels (one DOUBLE column per dimension).
-- Variables: dimensions (VARCHAR[]: the filter's dimension names).
-- Returns: id, label_row (position of the label row in labels_input), labeled_at,
--          oracle, model, prompt_sha256, imported, dimension, score.
UNPIVOT (
    SELECT row_number() OVER () AS label_row, id, labeled_at, oracle, model, prompt_sha256, imported,
           COLUMNS(c -> list_contains(getvariable('dimensions'), c))
    FROM labels_input
)
ON COLUMNS(c -> list_contains(getvariable('dimensions'), c))
INTO NAME dimension VALUE score
