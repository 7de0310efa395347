-- The articles an evaluation scores and the split it reports them under:
-- every labeled article for --split all, else the split's articles.
-- Reads: combined_labels (id, ...), splits_input (a snapshot of <filter>.splits,
--        empty when there is none).
-- Parameters: $split (VARCHAR: test, val, train or all).
-- Returns: id, split.
SELECT id, 'all' AS split FROM combined_labels WHERE $split::VARCHAR = 'all'
UNION ALL
SELECT id, split FROM splits_input WHERE $split::VARCHAR <> 'all' AND split = $split::VARCHAR
