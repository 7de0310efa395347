-- The requests an oracle model made since a time, which `label --rpd` counts
-- against its requests-per-day quota: every attempt is a request, a failed
-- one too.
-- Reads: oracle_calls_input (a snapshot of <filter>.oracle_calls).
-- Parameters: $oracle, $model (VARCHAR), $since (TIMESTAMPTZ: 24 hours ago).
-- Returns: called_at, oldest first.
SELECT called_at
FROM oracle_calls_input
WHERE oracle = $oracle AND model = $model AND called_at > $since
ORDER BY called_at
