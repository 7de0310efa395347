-- The first stage's prediction beside the oracle's label for every val and
-- test article: what a cascade is tuned and measured on.
-- Reads: examples (curate's view: split, id, overall, tier, ...),
--        cascade_predictions (a snapshot of <filter>.predictions).
-- Parameters: $first (the first-stage model's id), $lowest (the lowest tier).
-- Returns: split, id, predicted (the first stage's overall), positive (the
--          oracle put the article above the lowest tier).
SELECT e.split, e.id, p.overall AS predicted, e.tier <> $lowest AS positive
FROM examples e
JOIN cascade_predictions p ON p.id = e.id AND p.model = $first
WHERE e.split IN ('val', 'test') AND p.overall IS NOT NULL AND e.overall IS NOT NULL
ORDER BY e.split, e.id
