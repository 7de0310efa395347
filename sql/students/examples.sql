-- Training and evaluation examples: every article of a split with its
-- combined oracle label and the compressed text the oracle was shown (the
-- student is trained on exactly the oracle's input).
-- Reads: splits_input (a snapshot of <filter>.splits), combined_wide and
--        combined_labels (sql/labels/), compressed_input (a snapshot of <filter>.compressed).
-- Variables: dimensions (VARCHAR[]: the dimension columns, in their table order).
-- Returns: split, id, text, labels (DOUBLE[]: the scores in dimensions order),
--          overall, tier, balanced_out; ordered by split, then id.
SELECT s.split, s.id, c.text,
       list_value(*COLUMNS(w -> list_contains(getvariable('dimensions'), w))) AS labels,
       l.overall, l.tier, coalesce(s.balanced_out, false) AS balanced_out
FROM splits_input s
JOIN combined_wide USING (id)
JOIN combined_labels l USING (id)
JOIN compressed_input c USING (id)
WHERE s.split IN ('train', 'val', 'test')
ORDER BY s.split, s.id
