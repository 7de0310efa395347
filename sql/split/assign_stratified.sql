-- Assigns each duplicate group that has no split yet to train, val or test so
-- that every stratum moves towards the ratios. Groups already split keep their
-- split (they count as they are). In each stratum, the articles still owed to
-- each split (ratio x stratum size - articles it has, never negative) are
-- scaled to the new articles; new groups, in an order fixed by the seed,
-- fill train's share first, then val's, then test's. A first split is thus
-- within one group of the ratios in every stratum. The order hashes the seed
-- and the group as one string: DuckDB's hash(seed, group) combines the two
-- hashes so that every seed gave a fixed permutation of one order (two seeds'
-- test sets shared all or none of their articles).
-- Reads: split_groups (dup_group, stratum, size, prev_split: see sql/split/groups.sql).
-- Parameters: $ratios (DOUBLE[3]: train, val, test), $seed (BIGINT).
-- Returns: dup_group, split.
WITH strata AS (
    SELECT stratum,
           sum(size) AS total,
           sum(size) FILTER (WHERE prev_split IS NULL) AS new_articles,
           coalesce(sum(size) FILTER (WHERE prev_split = 'train'), 0) AS has_train,
           coalesce(sum(size) FILTER (WHERE prev_split = 'val'), 0) AS has_val,
           coalesce(sum(size) FILTER (WHERE prev_split = 'test'), 0) AS has_test
    FROM split_groups
    GROUP BY stratum
),
owed AS (
    SELECT stratum, new_articles,
           greatest(($ratios::DOUBLE[])[1] * total - has_train, 0) AS owed_train,
           greatest(($ratios::DOUBLE[])[2] * total - has_val, 0) AS owed_val,
           greatest(($ratios::DOUBLE[])[3] * total - has_test, 0) AS owed_test
    FROM strata
    WHERE new_articles > 0
),
bounds AS (
    SELECT stratum,
           new_articles * owed_train / (owed_train + owed_val + owed_test) AS train_end,
           new_articles * (owed_train + owed_val) / (owed_train + owed_val + owed_test) AS val_end
    FROM owed
),
ordered AS (
    SELECT dup_group, stratum,
           sum(size) OVER (PARTITION BY stratum ORDER BY hash($seed::VARCHAR || ':' || dup_group), dup_group
                           ROWS UNBOUNDED PRECEDING) - size AS start
    FROM split_groups
    WHERE prev_split IS NULL
)
SELECT o.dup_group,
       CASE WHEN o.start + 1e-9 < b.train_end THEN 'train'
            WHEN o.start + 1e-9 < b.val_end THEN 'val'
            ELSE 'test' END AS split
FROM ordered o JOIN bounds b USING (stratum)
