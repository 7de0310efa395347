-- The name of the oracle that made a label, as distill agree, --combine
-- oracle=... and the noise floor name it: KIND/MODEL (the labels' oracle and
-- model: the model the request named), then the settings beyond the
-- defaults that set its answers apart (labels.settings, e.g.
-- "gemini/gemini-2.5-flash evidence=none"), so two settings of one model are
-- two oracles to compare, never one oracle's repeats.
-- Creates: the macro oracle_name(oracle, model, settings) -> VARCHAR.
CREATE OR REPLACE TEMP MACRO oracle_name(oracle, model, settings) AS
    coalesce(oracle, '') || '/' || coalesce(model, '')
    || CASE WHEN coalesce(settings, '') <> '' THEN ' ' || settings ELSE '' END
