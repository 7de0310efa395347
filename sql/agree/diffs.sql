-- The pairs of single asks that agreement compares, one row per pair,
-- article and dimension: every ask of oracle a with every ask of oracle b on
-- an article both scored, and every two asks of one oracle (a = b).
-- Pairs: with neither agree_a nor agree_b set, every two oracles (a before b
-- by name) and every oracle with repeats against itself; agree_a alone: a
-- against every other, and every self pair; agree_b alone: every other
-- against b; both: a against b (b - a as named) and the self pairs of a and b.
-- Reads: agree_scores (sql/agree/scores.sql).
-- Variables: agree_a, agree_b (VARCHAR: oracle names, '' for any).
-- Returns: a, b, id, dimension, position, ask_a, ask_b, score_a, score_b, d (score_b - score_a).
SELECT x.oracle AS a, y.oracle AS b, x.id, x.dimension, x.position,
       x.ask AS ask_a, y.ask AS ask_b, x.score AS score_a, y.score AS score_b, y.score - x.score AS d
FROM agree_scores x
JOIN agree_scores y ON x.id = y.id AND x.dimension = y.dimension
WHERE CASE
    WHEN x.oracle = y.oracle THEN x.ask < y.ask
         AND (getvariable('agree_a') = '' OR getvariable('agree_b') = ''
              OR x.oracle IN (getvariable('agree_a'), getvariable('agree_b')))
    WHEN getvariable('agree_a') = '' AND getvariable('agree_b') = '' THEN x.oracle < y.oracle
    ELSE (getvariable('agree_a') = '' OR x.oracle = getvariable('agree_a'))
     AND (getvariable('agree_b') = '' OR y.oracle = getvariable('agree_b'))
END
