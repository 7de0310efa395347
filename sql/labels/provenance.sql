-- Where the labels that score a set of articles came from: the oracle, its
-- model, the filter package (prompt version) and the answer settings of each label the combine
-- rule uses (the latest of an article's labels, or all of them for mean).
-- The gate compares this for the articles it scores with the same for the
-- candidate's training articles; split and train warn when it has more
-- than one row (curate.MixedWarning).
-- Reads: prov_labels (a snapshot of <filter>.labels),
--        prov_articles (id: the articles).
-- Variables: combine (VARCHAR: latest or mean).
-- Returns: oracle, model, filter_sha256, settings (the answer settings beyond
--          the defaults; '' for a null in any), articles (distinct articles
--          with such a label), ordered by articles, most first.
WITH used AS (
    SELECT id, oracle, model, filter_sha256, settings
    FROM prov_labels
    WHERE id IN (SELECT id FROM prov_articles)
    QUALIFY getvariable('combine') = 'mean'
         OR row_number() OVER (PARTITION BY id ORDER BY labeled_at DESC NULLS LAST, run_id DESC NULLS LAST, cache_key DESC NULLS LAST) = 1
)
SELECT coalesce(oracle, '') AS oracle, coalesce(model, '') AS model, coalesce(filter_sha256, '') AS filter_sha256,
       coalesce(settings, '') AS settings, count(DISTINCT id) AS articles
FROM used
GROUP BY ALL
ORDER BY articles DESC, oracle, model, filter_sha256, settings
