-- Money spent on the oracle so far: every call recorded, paid or failed
-- (a failed call can still be billed for its tokens), and the labels it bought.
-- Reads: oracle_calls_input (a snapshot of <filter>.oracle_calls; empty when the
--        filter has none), labels_input (a snapshot of <filter>.labels).
-- Returns: calls, failed_calls, tokens_in, tokens_out, cost_usd (from the calls),
--          label_cost_usd (the cost on label rows; cache hits and imports cost 0).
SELECT (SELECT count(*) FROM oracle_calls_input) AS calls,
       (SELECT count(*) FROM oracle_calls_input WHERE status <> 'ok') AS failed_calls,
       (SELECT coalesce(sum(tokens_in), 0) FROM oracle_calls_input) AS tokens_in,
       (SELECT coalesce(sum(tokens_out), 0) FROM oracle_calls_input) AS tokens_out,
       (SELECT coalesce(sum(cost_usd), 0) FROM oracle_calls_input) AS cost_usd,
       (SELECT coalesce(sum(cost_usd), 0) FROM labels_input) AS label_cost_usd
