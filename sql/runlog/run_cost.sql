-- What one run's labels cost: the cost_usd of the rows the run wrote, as
-- `distill log` prints beside a labels entry.
-- Reads: labels_input (a snapshot of <filter>.labels: the run's last).
-- Parameters: $run_id (the run's distill.run-id).
-- Returns: cost_usd (0 when the run wrote no row there).
SELECT coalesce(sum(cost_usd), 0)::DOUBLE AS cost_usd
FROM labels_input
WHERE run_id = $run_id
