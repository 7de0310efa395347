-- The articles already labeled, each as id|cache_key: an article is done
-- when it has a label from the same oracle, model, prompt and parameters
-- (its own id and the cache key), never by the key alone, which articles
-- with the same text share.
-- Reads: labels_input (the filter's labels, current snapshot).
-- Returns: done_key (NULL where the label has no cache key).
SELECT id || '|' || cache_key AS done_key
FROM labels_input
