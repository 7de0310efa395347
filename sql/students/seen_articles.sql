-- The labeled articles in scope that a gated model has seen: those that
-- were train or val in the split snapshot it trained with (it learned from
-- the one, and chose its penalty or epoch, and fitted its calibration, on
-- the other). After a new split (split --fresh, other ratios) a test
-- article may be one, and a model scored on it looks better than it is.
-- Reads: eval_scope (id, split: the articles gated),
--        combined_labels (sql/labels/combined_tiers.sql),
--        seen_splits (the <filter>.splits snapshot the model trained with).
-- Returns: id, ordered.
SELECT s.id
FROM eval_scope s
JOIN seen_splits t USING (id)
WHERE t.split IN ('train', 'val') AND s.id IN (SELECT id FROM combined_labels)
ORDER BY s.id
