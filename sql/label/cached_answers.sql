-- The oracle's successful answers by cache key, which a rerun reuses
-- instead of calling the oracle again.
-- Reads: oracle_calls_input (a snapshot of <filter>.oracle_calls).
-- Returns: cache_key, response, tokens_in, tokens_out (0 where unknown).
SELECT cache_key, response, coalesce(tokens_in, 0) AS tokens_in, coalesce(tokens_out, 0) AS tokens_out
FROM oracle_calls_input
WHERE status = 'ok'
