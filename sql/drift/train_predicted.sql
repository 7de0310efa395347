-- The student's own scores of the training articles: the baseline "train"
-- of drift when the model that scored the newest articles also predicted
-- the train split. A student's scores are smoother than the oracle's labels
-- (they regress to the mean, and the labels are whole numbers), so against
-- the labels PSI reads the student's own shape as a shift; against its own
-- predictions of the same articles it reads only what moved.
-- Reads: drift_train (sql/drift/train.sql), drift_predictions (a snapshot of
--        <filter>.predictions).
-- Parameters: $scored_by (the model of the newest scores).
-- Variables: dimensions (VARCHAR[]: the filter's dimension columns).
-- Returns: id, tier, overall, then one column per dimension (the model's
--          latest prediction of each training article it predicted);
--          ordered by id.
SELECT id, tier, overall, COLUMNS(c -> list_contains(getvariable('dimensions'), c))
FROM drift_predictions
WHERE model = $scored_by AND id IN (SELECT id FROM drift_train)
QUALIFY row_number() OVER (PARTITION BY id ORDER BY predicted_at DESC, run_id DESC) = 1
ORDER BY id
