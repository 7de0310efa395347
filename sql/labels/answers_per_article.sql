-- How many answers of one oracle the combine rule averages per article: its
-- distinct answers (id and cache key: a relabel served from the cache is
-- the same answer) among the labels used over the articles they score
-- (the caller takes 1 under latest, which uses one label an article).
-- Reads: labels_input (the labels the combine rule uses: sql/labels/chosen.sql);
--        the macro oracle_name (sql/labels/oracle_name.sql).
-- Variables: floor_oracle (VARCHAR: an oracle's name).
-- Returns: answers (DOUBLE; NULL when the oracle has no label there).
SELECT count(DISTINCT (id, coalesce(cache_key, run_id || '|' || labeled_at::VARCHAR)))::DOUBLE
       / nullif(count(DISTINCT id), 0) AS answers
FROM labels_input
WHERE oracle_name(oracle, model, settings) = getvariable('floor_oracle')
