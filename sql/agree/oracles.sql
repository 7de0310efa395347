-- The oracles whose labels agreement compares, each with its labels, the
-- articles it scored and the most asks of one article (label --repeat).
-- Reads: agree_asks (sql/agree/asks.sql).
-- Returns: oracle (KIND/MODEL), labels, articles, max_asks; most labels first.
SELECT oracle, count(*) AS labels, count(DISTINCT id) AS articles, max(ask) + 1 AS max_asks
FROM agree_asks
GROUP BY oracle
ORDER BY labels DESC, oracle
