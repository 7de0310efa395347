-- The asks in the shape sql/labels/combined_tiers.sql scores: each ask's
-- label_key as its id, so that every ask's overall score and tier are
-- computed from filter.yaml exactly as a combined label's are.
-- Reads: agree_asks (sql/agree/asks.sql).
-- Variables: dimensions (VARCHAR[]: the dimension columns).
-- Returns: id (the label_key), one column per dimension, n_labels, labeled_at.
SELECT label_key AS id, COLUMNS(c -> list_contains(getvariable('dimensions'), c)), n_labels, labeled_at
FROM agree_asks
