-- The training data's labels: each article of the train split with its
-- combined label (the oracle's scores, combined as train combines them),
-- the baseline "train" of drift.
-- Reads: combined_wide, combined_labels (curate.Prepare), splits_input (a
--        snapshot of <filter>.splits).
-- Variables: dimensions (VARCHAR[]: the filter's dimension columns).
-- Returns: id, tier, overall, then one column per dimension; ordered by id.
SELECT id, labels.tier, labels.overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c))
FROM combined_wide wide
JOIN combined_labels labels USING (id)
JOIN splits_input s USING (id)
WHERE s.split = 'train'
ORDER BY id
