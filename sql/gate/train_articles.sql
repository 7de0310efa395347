-- The candidate's training articles, from the split snapshot it trained on:
-- the baselines are their mean and median, and their labels say which
-- oracle the candidate learned. Those left out by --balance were not
-- trained on.
-- Reads: train_splits (the <filter>.splits snapshot the candidate trained on).
-- Returns: id.
SELECT id FROM train_splits WHERE split = 'train' AND NOT coalesce(balanced_out, false)
