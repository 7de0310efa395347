-- Oracle activity over time, for the report's "labels and cost over time":
-- label rows and oracle calls (and what the calls cost) per time bucket and
-- oracle model: gemini with two models is two series. The bucket is a week, day, hour or minute (UTC), whichever splits
-- the span of the data into a readable number of bars: a labeling run of
-- minutes shows minutes, one of weeks shows days.
-- Reads: labels_input (a snapshot of <filter>.labels: oracle, model, labeled_at),
--        oracle_calls_input (a snapshot of <filter>.oracle_calls: oracle, model,
--        status, cost_usd, called_at; empty when the filter has none).
-- Returns: unit (week, day, hour or minute), bucket (TIMESTAMP, the UTC start of
--          the bucket), oracle, model ('' when none is recorded), labels, calls, failed_calls, cost_usd (of the
--          calls: money is spent on calls, failed ones included),
--          cumulative_cost_usd (the oracle model's calls up to the end of the
--          bucket); every bucket from the first to the last for every oracle
--          model, by bucket, then oracle, then model. No rows when there is neither a label nor a call.
WITH events AS (
    SELECT coalesce(oracle, '(unknown)') AS oracle, coalesce(model, '') AS model, labeled_at AT TIME ZONE 'UTC' AS event_at,
           1 AS labels, 0 AS calls, 0 AS failed, 0::DOUBLE AS cost
    FROM labels_input
    WHERE labeled_at IS NOT NULL
    UNION ALL
    SELECT coalesce(oracle, '(unknown)'), coalesce(model, ''), called_at AT TIME ZONE 'UTC',
           0, 1, CASE WHEN status = 'ok' THEN 0 ELSE 1 END, coalesce(cost_usd, 0)
    FROM oracle_calls_input
    WHERE called_at IS NOT NULL
),
span AS (
    SELECT CASE WHEN max(event_at) - min(event_at) > INTERVAL 120 DAY THEN 'week'
                WHEN max(event_at) - min(event_at) > INTERVAL 2 DAY THEN 'day'
                WHEN max(event_at) - min(event_at) > INTERVAL 2 HOUR THEN 'hour'
                ELSE 'minute' END AS unit,
           min(event_at) AS first_at, max(event_at) AS last_at
    FROM events
    HAVING count(*) > 0
),
buckets AS (
    SELECT unit, unnest(generate_series(date_trunc(unit, first_at), date_trunc(unit, last_at),
                                        CAST('1 ' || unit AS INTERVAL))) AS bucket
    FROM span
),
counts AS (
    SELECT date_trunc(s.unit, e.event_at) AS bucket, e.oracle, e.model, sum(e.labels) AS labels, sum(e.calls) AS calls,
           sum(e.failed) AS failed_calls, sum(e.cost) AS cost_usd
    FROM events e CROSS JOIN span s
    GROUP BY ALL
)
SELECT b.unit, b.bucket::TIMESTAMP AS bucket, o.oracle, o.model,
       coalesce(c.labels, 0)::BIGINT AS labels, coalesce(c.calls, 0)::BIGINT AS calls,
       coalesce(c.failed_calls, 0)::BIGINT AS failed_calls, coalesce(c.cost_usd, 0)::DOUBLE AS cost_usd,
       sum(coalesce(c.cost_usd, 0)) OVER (PARTITION BY o.oracle, o.model ORDER BY b.bucket)::DOUBLE AS cumulative_cost_usd
FROM buckets b
CROSS JOIN (SELECT DISTINCT oracle, model FROM events) o
LEFT JOIN counts c ON c.bucket = b.bucket AND c.oracle = o.oracle AND c.model = o.model
ORDER BY b.bucket, o.oracle, o.model
