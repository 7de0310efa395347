-- Each labeled article's weight for the weighted MAE: 1 / the inclusion
-- probability of the label --select draw that chose it (Horvitz-Thompson),
-- so the articles a selection passed over are stood for by those it drew
-- in their place. The label read is the one the combine rule keeps: for
-- latest the article's latest label; for mean, which averages several, the
-- article's first label chosen by a selection (the draw that brought it
-- into the labeled set; a relabel does not change how likely that was). A
-- label not chosen by a draw (plain labeling, an import: inclusion null)
-- weighs 1: the article stands for itself.
-- Reads: labels_input (the labels the combine rule uses, with selected_by,
--        inclusion and selection: curate.InputLabels),
--        combined_labels (sql/labels/combined_tiers.sql).
-- Variables: combine (VARCHAR: latest or mean).
-- Returns: id, selected_by, inclusion, weight, selection (the plan string),
--          unbiased (whether that plan has a random or diverse part, so every
--          article of its pool could be drawn; null when no selection chose it).
WITH picked AS (
    SELECT id,
           CASE WHEN getvariable('combine') = 'mean'
                THEN arg_min({'strategy': selected_by, 'inclusion': inclusion, 'selection': selection},
                             (labeled_at, run_id, cache_key)) FILTER (WHERE selected_by IS NOT NULL)
                ELSE arg_max({'strategy': selected_by, 'inclusion': inclusion, 'selection': selection},
                             (labeled_at, run_id, cache_key))
           END AS pick
    FROM labels_input
    GROUP BY id
),
chosen AS (
    SELECT c.id, p.pick.strategy AS selected_by, p.pick.inclusion AS inclusion, p.pick.selection AS selection
    FROM combined_labels c
    LEFT JOIN picked p ON p.id = c.id
)
SELECT id, selected_by, inclusion,
       CASE WHEN inclusion > 0 THEN 1 / inclusion ELSE 1 END AS weight,
       selection,
       CASE WHEN selection IS NOT NULL
            THEN list_has_any(list_transform(string_split(split_part(trim(selection), ' ', 1), ','),
                                             t -> split_part(trim(t), ':', 1)), ['random', 'diverse'])
       END AS unbiased
FROM chosen
ORDER BY id
