-- Articles per split and tier, with each tier's share of its split: the
-- split balance `distill split` and `distill stats` print.
-- Reads: splits_input (a snapshot of <filter>.splits), combined_labels (id, tier, tier_rank, ...).
-- Returns: split, tier, articles, share (of the split's articles), used (training
--          articles not left out by --balance).
SELECT s.split, l.tier, count(*) AS articles,
       count(*) / sum(count(*)) OVER (PARTITION BY s.split) AS share,
       count(*) FILTER (WHERE NOT coalesce(s.balanced_out, false)) AS used
FROM splits_input s JOIN combined_labels l USING (id)
GROUP BY s.split, l.tier, l.tier_rank
ORDER BY CASE s.split WHEN 'train' THEN 1 WHEN 'val' THEN 2 WHEN 'test' THEN 3 ELSE 4 END, l.tier_rank
