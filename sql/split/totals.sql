-- The split's totals, each counted on its own so that articles = kept + new
-- is a check.
-- Reads: split_final (sql/split/final.sql).
-- Returns: articles (labeled), kept, new, excluded, carried_over (split before, no label now).
SELECT count(*) FILTER (WHERE labeled) AS articles,
       count(*) FILTER (WHERE labeled AND kept) AS kept,
       count(*) FILTER (WHERE labeled AND NOT kept) AS new,
       count(*) FILTER (WHERE split = 'excluded') AS excluded,
       count(*) FILTER (WHERE NOT labeled) AS carried_over
FROM split_final
