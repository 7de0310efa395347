-- Every answer on the articles listed for review, in long form: each ask's
-- score and evidence per dimension, and its overall score and tier.
-- Reads: agree_asks (sql/agree/asks.sql), agree_tiers (id = label_key,
--        overall, tier), agree_listed (id: the articles listed).
-- Variables: dimensions (VARCHAR[]: the dimension columns).
-- Returns: id, oracle, ask, overall, tier, dimension, score, evidence;
--          by article, oracle, ask and the dimension's place in the table.
WITH listed AS (
    SELECT a.* FROM agree_asks a WHERE a.id IN (SELECT id FROM agree_listed)
),
scores AS (
    UNPIVOT (SELECT label_key, COLUMNS(c -> list_contains(getvariable('dimensions'), c)) FROM listed)
    ON COLUMNS(c -> list_contains(getvariable('dimensions'), c))
    INTO NAME dimension VALUE score
),
evidence AS (
    UNPIVOT (SELECT label_key, COLUMNS(c -> list_contains(list_transform(getvariable('dimensions'), d -> d || '_evidence'), c)) FROM listed)
    ON COLUMNS(c -> list_contains(list_transform(getvariable('dimensions'), d -> d || '_evidence'), c))
    INTO NAME evidence_column VALUE evidence
)
SELECT l.id, l.oracle, l.ask, t.overall, t.tier, s.dimension, s.score, e.evidence
FROM listed l
JOIN agree_tiers t ON t.id = l.label_key
JOIN scores s ON s.label_key = l.label_key
LEFT JOIN evidence e ON e.label_key = l.label_key AND e.evidence_column = s.dimension || '_evidence'
ORDER BY l.id, l.oracle, l.ask, list_position(getvariable('dimensions'), s.dimension)
