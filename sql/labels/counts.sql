-- How many articles the combined labels cover and how many label rows they
-- were combined from.
-- Reads: combined_labels (sql/labels/combined_tiers.sql), labels_input (the labels read).
-- Returns: articles, label_rows (one row).
SELECT (SELECT count(*) FROM combined_labels) AS articles,
       (SELECT count(*) FROM labels_input) AS label_rows
