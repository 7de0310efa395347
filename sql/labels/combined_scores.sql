-- One score per (article, dimension) when an article has several labels
-- (a relabel under --full, a second oracle, an import).
-- Reads: labels_long (sql/labels/scores_long.sql).
-- Variables: combine (VARCHAR): 'latest' takes the scores of the article's most
--            recent label (by labeled_at, ties to the later row); 'mean' averages
--            every label's score per dimension.
-- Returns: id, dimension, score, n_labels (labels combined), labeled_at (of the latest).
WITH ranked AS (
    SELECT *, dense_rank() OVER (PARTITION BY id ORDER BY labeled_at DESC, label_row DESC) AS recency
    FROM labels_long
)
SELECT id, dimension,
       CASE getvariable('combine')
           WHEN 'mean' THEN avg(score)
           ELSE any_value(score) FILTER (WHERE recency = 1)
       END AS score,
       count(DISTINCT label_row) AS n_labels,
       max(labeled_at) AS labeled_at
FROM ranked
GROUP BY id, dimension
