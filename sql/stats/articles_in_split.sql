-- The articles of one split: what `distill stats --split` describes.
-- Reads: combined_labels (id, overall, gated, tier, tier_rank, n_labels: see
--        sql/labels/combined_tiers.sql), splits_input (a snapshot of <filter>.splits).
-- Parameters: $split (train, val, test or excluded).
-- Returns: every column of combined_labels, for the articles splits_input puts in $split.
SELECT *
FROM combined_labels
WHERE id IN (SELECT id FROM splits_input WHERE split = $split)
