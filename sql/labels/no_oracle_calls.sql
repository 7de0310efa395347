-- The oracle calls of a filter that has none (its labels were all
-- imported): no rows, in the columns the readers of oracle_calls_input use.
-- Reads: nothing.
-- Returns: cache_key, id, oracle, model, status, tokens_in, tokens_out, cost_usd, called_at (no rows).
SELECT NULL::VARCHAR AS cache_key, NULL::VARCHAR AS id, NULL::VARCHAR AS oracle, NULL::VARCHAR AS model, NULL::VARCHAR AS status,
       NULL::BIGINT AS tokens_in, NULL::BIGINT AS tokens_out, NULL::DOUBLE AS cost_usd, NULL::TIMESTAMPTZ AS called_at
WHERE false
