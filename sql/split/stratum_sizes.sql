-- Each stratum's labeled articles per split, and how many are new, to
-- compare with the ratios.
-- Reads: split_final (sql/split/final.sql).
-- Returns: stratum, articles, train, val, test, new.
SELECT stratum, count(*) AS articles,
       count(*) FILTER (WHERE split = 'train') AS train,
       count(*) FILTER (WHERE split = 'val') AS val,
       count(*) FILTER (WHERE split = 'test') AS test,
       count(*) FILTER (WHERE NOT kept) AS new
FROM split_final
WHERE labeled AND split <> 'excluded'
GROUP BY stratum
ORDER BY stratum
