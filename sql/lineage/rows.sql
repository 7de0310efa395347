-- The rows of one table that belong to one article: what `distill lineage`
-- shows for each table it walks.
-- Reads: lineage_table (one lake table with an id column, at one snapshot).
-- Variables: lineage_id (VARCHAR: the article's id; for <filter>.models, the
--   id of a model that predicted it).
-- Returns every column of lineage_table, for the rows whose id is lineage_id
--   (in a stable order: by every column).
SELECT * FROM lineage_table WHERE id = getvariable('lineage_id') ORDER BY ALL
