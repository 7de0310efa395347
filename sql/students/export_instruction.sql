-- Rows for instruction tuning (Alpaca style, as axolotl and Unsloth read
-- them): the filter's prompt as the instruction, the compressed text as the
-- input, and the oracle's answer as a JSON object as the output.
-- Reads: export_examples (split, id, text, labels, overall, tier: sql/students/examples.sql).
-- Variables: dimensions (VARCHAR[]), instruction (VARCHAR: prompt.md with the
--            article placeholder pointing at the input).
-- Returns: instruction, input, output (JSON text:
--          {"dimensions": {name: score, ...}, "overall_score": x, "tier": t}).
SELECT getvariable('instruction') AS instruction,
       text AS input,
       json_object('dimensions', map_from_entries(list_zip(getvariable('dimensions'), labels)),
                   'overall_score', overall, 'tier', tier)::VARCHAR AS output
FROM export_examples
ORDER BY id
