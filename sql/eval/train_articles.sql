-- The training articles the mean baseline is computed from: those left out
-- by --balance are not trained on, so they are not counted either.
-- Reads: splits_input (a snapshot of <filter>.splits, empty when there is none).
-- Returns: id.
SELECT id FROM splits_input WHERE split = 'train' AND NOT coalesce(balanced_out, false)
