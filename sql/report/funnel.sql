-- The prefilter funnel, for the report: how many articles reach each step
-- from ingest to a split. Each step counts the articles of the step before
-- that reached it, so the counts only fall, and an article labeled or split
-- without passing the steps before it (an import) is not counted.
-- Reads: raw_input (a snapshot of corpus.raw: id),
--        prefiltered_input (a snapshot of <filter>.prefiltered: id, passed),
--        compressed_input (a snapshot of <filter>.compressed: id),
--        labels_input (a snapshot of <filter>.labels: id),
--        splits_input (a snapshot of <filter>.splits: id, split);
--        an input whose table has no snapshot yet is empty.
-- Returns: position (1-5), step (raw, passed prefilter, compressed, labeled,
--          in a split: train, val or test), articles, share_of_previous (of
--          the step before; NULL for the first step or after an empty one),
--          share_of_raw (NULL when raw is empty); by position.
WITH raw AS (
    SELECT DISTINCT id FROM raw_input
),
passed AS (
    SELECT DISTINCT p.id FROM prefiltered_input p SEMI JOIN raw r ON r.id = p.id WHERE p.passed
),
compressed AS (
    SELECT DISTINCT c.id FROM compressed_input c SEMI JOIN passed p ON p.id = c.id
),
labeled AS (
    SELECT DISTINCT l.id FROM labels_input l SEMI JOIN compressed c ON c.id = l.id
),
in_split AS (
    SELECT DISTINCT s.id FROM splits_input s SEMI JOIN labeled l ON l.id = s.id
    WHERE s.split IN ('train', 'val', 'test')
),
steps AS (
    SELECT 1 AS position, 'raw' AS step, (SELECT count(*) FROM raw) AS articles
    UNION ALL SELECT 2, 'passed prefilter', (SELECT count(*) FROM passed)
    UNION ALL SELECT 3, 'compressed', (SELECT count(*) FROM compressed)
    UNION ALL SELECT 4, 'labeled', (SELECT count(*) FROM labeled)
    UNION ALL SELECT 5, 'in a split', (SELECT count(*) FROM in_split)
)
SELECT position, step, articles::BIGINT AS articles,
       articles / nullif(lag(articles) OVER (ORDER BY position), 0)::DOUBLE AS share_of_previous,
       articles / nullif(first_value(articles) OVER (ORDER BY position), 0)::DOUBLE AS share_of_raw
FROM steps
ORDER BY position
