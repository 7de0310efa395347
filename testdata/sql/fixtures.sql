-- The inputs the files under sql/ read, as tiny tables, so that a test can
-- prepare every file. Each stage creates these names as temporary views over
-- the lake (at pinned snapshots) before running the files that read them.
SET VARIABLE dimensions = ['relevance', 'evidence'];
SET VARIABLE combine = 'latest';
SET VARIABLE stratify_by = 'tier';
SET VARIABLE near_threshold = 0.8;
SET VARIABLE ratios = [0.8, 0.1, 0.1];
SET VARIABLE seed = 42;
SET VARIABLE run_id = 'r1';
CREATE TABLE labels_input AS SELECT 'a' AS id, 7.0::DOUBLE AS relevance, 2.0::DOUBLE AS evidence, 'k' AS cache_key, 'x' AS relevance_evidence,
    'y' AS evidence_evidence, 5.1 AS overall, false AS gatekeeper_applied, 'high' AS tier, 'gemini' AS oracle,
    'gemini-2.5-flash' AS model, 'p1' AS prompt_sha256, 's1' AS input_sha256, 'f1' AS filter_sha256, false AS imported, false AS cached, 0.001 AS cost_usd,
    TIMESTAMPTZ '2026-01-01 00:00:00+00' AS labeled_at, 'r1' AS run_id, NULL::VARCHAR AS settings;
-- labels_all: every label, labels_input those the combine rule uses (curate.Prepare).
CREATE TABLE labels_all AS SELECT *, 0 AS "repeat", NULL::VARCHAR AS extra, 900::BIGINT AS tokens_in, 200::BIGINT AS tokens_out
    FROM labels_input;
SET VARIABLE combine_oracle = '';
CREATE TABLE combined_wide AS SELECT 'a' AS id, 7.0::DOUBLE AS relevance, 2.0::DOUBLE AS evidence, 1::BIGINT AS n_labels,
    TIMESTAMPTZ '2026-01-01 00:00:00+00' AS labeled_at;
SET VARIABLE weights = [0.6, 0.4];
SET VARIABLE gatekeepers = [{'pos': 2, 'below': 3.0, 'cap': 3.5}]::STRUCT(pos INTEGER, below DOUBLE, cap DOUBLE)[];
CREATE TABLE combined_scores AS SELECT 'a' AS id, 'relevance' AS dimension, 7.0::DOUBLE AS score, 1::BIGINT AS n_labels,
    TIMESTAMPTZ '2026-01-01 00:00:00+00' AS labeled_at;
CREATE TABLE filter_dimensions (dimension VARCHAR, weight DOUBLE, position INTEGER);
CREATE TABLE filter_gatekeepers (dimension VARCHAR, below DOUBLE, cap DOUBLE);
CREATE TABLE filter_tiers (tier VARCHAR, min_score DOUBLE, tier_rank INTEGER);
CREATE TABLE combined_labels AS SELECT 'a' AS id, 5.1::DOUBLE AS overall, false AS gated, 'high' AS tier, 1 AS tier_rank, 1::BIGINT AS n_labels;
CREATE TABLE stats_articles AS SELECT * FROM combined_labels;
CREATE TABLE stats_scores AS SELECT id, dimension, score FROM combined_scores;
CREATE TABLE oracle_calls_input AS SELECT 'k' AS cache_key, 'a' AS id, 'ok' AS status, 10::BIGINT AS tokens_in,
    5::BIGINT AS tokens_out, 0.001::DOUBLE AS cost_usd;
CREATE TABLE split_candidates AS SELECT 'a' AS id, 'sha' AS content_sha256, [1, 2, 3, 4, 5, 6, 7, 8]::BIGINT[] AS minhash;
CREATE TABLE splits_previous AS SELECT 'a' AS id, 'train' AS split, 'high' AS stratum, 'a' AS dup_group, 42::BIGINT AS seed,
    'r0' AS assigned_run_id, false AS balanced_out, NULL::VARCHAR AS note;
CREATE TABLE splits_input AS SELECT * FROM splits_previous;
CREATE TABLE split_strata (id VARCHAR, stratum VARCHAR);
CREATE TABLE dup_members (id VARCHAR, dup_group VARCHAR);
CREATE TABLE split_excluded (id VARCHAR, note VARCHAR);
CREATE TABLE split_groups (dup_group VARCHAR, stratum VARCHAR, size BIGINT, prev_split VARCHAR, prev_splits BIGINT);
CREATE TABLE split_new_groups (dup_group VARCHAR, split VARCHAR);
CREATE TABLE split_members (id VARCHAR, stratum VARCHAR, dup_group VARCHAR, in_group BOOLEAN, prev_split VARCHAR, prev_seed BIGINT,
    prev_run_id VARCHAR, excluded BOOLEAN, note VARCHAR);
CREATE TABLE split_assigned (id VARCHAR, split VARCHAR, stratum VARCHAR, dup_group VARCHAR, seed BIGINT,
    assigned_run_id VARCHAR, note VARCHAR, kept BOOLEAN);
CREATE TABLE tier_caps (tier VARCHAR, cap BIGINT);
CREATE TABLE split_compressed AS SELECT 'a' AS id, [1, 2, 3, 4, 5, 6, 7, 8]::BIGINT[] AS minhash;
CREATE TABLE split_raw AS SELECT 'a' AS id, 'sha' AS content_sha256;
CREATE TABLE split_balanced (id VARCHAR, balanced_out BOOLEAN);
CREATE TABLE split_final AS SELECT * FROM (VALUES
    ('a', 'train', 'high', 'a', 42::BIGINT, false, NULL::VARCHAR, 'r0', true, true, 1::BIGINT, TIMESTAMPTZ '2026-01-02 00:00:00+00', 'r1'),
    ('b', 'test', 'high', 'b', 42::BIGINT, false, NULL::VARCHAR, 'r1', false, true, 1::BIGINT, TIMESTAMPTZ '2026-01-02 00:00:00+00', 'r1'),
    ('c', 'val', 'low', 'c', 7::BIGINT, false, 'no label in s.labels@1', 'r0', true, false, 1::BIGINT, TIMESTAMPTZ '2026-01-02 00:00:00+00', 'r1'))
    t(id, split, stratum, dup_group, seed, balanced_out, note, assigned_run_id, kept, labeled, labels_sequence, split_at, run_id);
-- diff (inspect/diff): the table at snapshots A and B with the key copied to
-- diff_key, and the per-key statuses of diff/keys.sql.
SET VARIABLE diff_columns = ['title', 'relevance', 'overall', 'tier'];
SET VARIABLE diff_dimensions = ['relevance', 'overall'];
SET VARIABLE diff_examples = 5;
CREATE TABLE diff_a AS SELECT 'a' AS diff_key, 'a' AS id, 'T' AS title, 7.0::DOUBLE AS relevance, 'x' AS relevance_evidence,
    5.1::DOUBLE AS overall, 'high' AS tier, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS labeled_at, 'r1' AS run_id;
CREATE TABLE diff_b AS SELECT * FROM diff_a;
CREATE TABLE diff_keys AS SELECT 'a' AS diff_key, 'unchanged' AS status, 1::BIGINT AS rows_a, 1::BIGINT AS rows_b;
-- lineage (inspect/lineage): one table at one snapshot, and the article's id.
SET VARIABLE lineage_id = 'a';
CREATE TABLE lineage_table AS SELECT 'a' AS id, 'T' AS title, ['t']::VARCHAR[] AS tags, 'r1' AS run_id;
CREATE TABLE compressed_input AS SELECT 'a' AS id, 'Title: x' AS text, 'sha' AS text_sha256;
CREATE TABLE embeddings_input AS SELECT * FROM (VALUES ('a', 'hashed-4@e0', 'sha', [1, 0, 0, 0]::FLOAT[], TIMESTAMPTZ '2026-01-01', 'r0'), ('a', 'hashed-4@e1', 'sha', [0, 1, 0, 0]::FLOAT[], TIMESTAMPTZ '2026-01-02', 'r1'), ('a', 'minilm-4@m1', 'old-sha', [0, 0, 1, 0]::FLOAT[], TIMESTAMPTZ '2026-01-03', 'r2'), ('b', 'minilm-4@m1', 'sha', [0, 0, 0, 1]::FLOAT[], TIMESTAMPTZ '2026-01-03', 'r2')) t(id, encoder, text_sha256, vector, embedded_at, run_id);
SET VARIABLE instruction = 'Score the article below.';
CREATE TABLE export_examples AS SELECT 'train' AS split, 'a' AS id, 'Title: x' AS text, [7.0, 2.0]::DOUBLE[] AS labels,
    5.1::DOUBLE AS overall, 'high' AS tier, false AS balanced_out;
CREATE TABLE examples AS SELECT * FROM export_examples;
-- eval (stages/evaluate): the predictions read, the articles in scope, and
-- the temp tables each sql/eval file makes for the next.
SET VARIABLE eval_models = ['m1'];
SET VARIABLE eval_k = 0::BIGINT;
CREATE TABLE predictions_input AS SELECT 'a' AS id, 'm1' AS model, 6.5::DOUBLE AS relevance, 2.5::DOUBLE AS evidence,
    4.9::DOUBLE AS overall, 'high' AS tier, 'test' AS split, TIMESTAMPTZ '2026-01-02 00:00:00+00' AS predicted_at, 'r2' AS run_id;
CREATE TABLE eval_scope AS SELECT 'a' AS id, 'test' AS split;
CREATE TABLE eval_train (id VARCHAR);
CREATE TABLE eval_predictions AS SELECT 'm1' AS model, 'a' AS id, 6.5::DOUBLE AS relevance, 2.5::DOUBLE AS evidence,
    4.9::DOUBLE AS overall, 'test' AS predicted_split, TIMESTAMPTZ '2026-01-02 00:00:00+00' AS predicted_at;
CREATE TABLE eval_articles AS SELECT 'm1' AS model, 'test' AS split, 'a' AS id, 'test' AS predicted_split,
    4.9::DOUBLE AS predicted_overall, 'high' AS predicted_tier, 1 AS predicted_rank, 5.1::DOUBLE AS oracle_overall,
    'high' AS oracle_tier, 1 AS oracle_rank;
CREATE TABLE eval_baseline (dimension VARCHAR, train_mean DOUBLE, train_articles BIGINT, train_median DOUBLE);
CREATE TABLE eval_scores (model VARCHAR, split VARCHAR, id VARCHAR, dimension VARCHAR, position INTEGER,
    predicted DOUBLE, oracle DOUBLE, baseline DOUBLE, baseline_median DOUBLE);
CREATE TABLE eval_dimension_errors (model VARCHAR, split VARCHAR, dimension VARCHAR, position INTEGER, n BIGINT,
    mae DOUBLE, rmse DOUBLE, bias DOUBLE, train_mean DOUBLE, baseline_mae DOUBLE, baseline_rmse DOUBLE,
    train_median DOUBLE, median_baseline_mae DOUBLE);
CREATE TABLE eval_spearman (model VARCHAR, split VARCHAR, dimension VARCHAR, spearman DOUBLE);
CREATE TABLE eval_tier_confusion (model VARCHAR, split VARCHAR, oracle_tier VARCHAR, oracle_rank INTEGER,
    predicted_tier VARCHAR, predicted_rank INTEGER, articles BIGINT);
CREATE TABLE eval_tier_accuracy (model VARCHAR, split VARCHAR, articles BIGINT, correct BIGINT, tier_accuracy DOUBLE);
CREATE TABLE eval_recall_at_k (model VARCHAR, split VARCHAR, k BIGINT, relevant BIGINT, found BIGINT, recall_at_k DOUBLE);
CREATE TABLE eval_threshold_recall (model VARCHAR, split VARCHAR, threshold_tier VARCHAR, threshold DOUBLE,
    true_positives BIGINT, false_positives BIGINT, false_negatives BIGINT, precision DOUBLE, recall DOUBLE);
-- report (inspect/report): the oracle calls with who made them (oracle, model) and when, the
-- evaluations table, and the latest evaluation of each model on one split.
ALTER TABLE oracle_calls_input ADD COLUMN oracle VARCHAR DEFAULT 'gemini';
ALTER TABLE oracle_calls_input ADD COLUMN called_at TIMESTAMPTZ DEFAULT TIMESTAMPTZ '2026-01-01 00:00:00+00';
ALTER TABLE oracle_calls_input ADD COLUMN model VARCHAR DEFAULT 'gemini-2.5-flash';
-- report (funnel): four raw articles, two passed (a, b), one blocked (c), one
-- not decided yet (d); only a goes on to compressed, labels and splits.
CREATE TABLE raw_input AS SELECT * FROM (VALUES ('a'), ('b'), ('c'), ('d')) t(id);
CREATE TABLE prefiltered_input AS SELECT * FROM (VALUES
    ('a', true, 'passed', 'all'), ('b', true, 'passed', 'all'), ('c', false, 'too_short:10_chars', 'min_chars'))
    t(id, passed, reason, rule);
-- label (stages/label): the oracle's answer, which a rerun reuses.
ALTER TABLE oracle_calls_input ADD COLUMN response VARCHAR DEFAULT '{"relevance": 7}';
CREATE TABLE evaluations_input AS SELECT 'm1' AS model, 'test' AS split, 'relevance' AS dimension, NULL::VARCHAR AS compared_with,
    1::BIGINT AS n, 0.5::DOUBLE AS mae, 0.7::DOUBLE AS rmse, 0.5::DOUBLE AS bias, NULL::DOUBLE AS spearman, 7.0::DOUBLE AS train_mean,
    1.0::DOUBLE AS baseline_mae, 1.0::DOUBLE AS baseline_rmse, NULL::DOUBLE AS tier_accuracy,
    '[{"oracle":"high","predicted":"high","articles":1}]' AS confusion, TIMESTAMPTZ '2026-01-02 00:00:00+00' AS evaluated_at, 'r3' AS run_id;
CREATE TABLE report_evaluations AS SELECT * FROM evaluations_input;
-- evaluate (stages/evaluate): eval_rows as sql/eval/evaluation_rows.sql makes them.
CREATE TABLE eval_rows AS SELECT 'm1' AS model, 'test' AS split, 'relevance' AS dimension, 1 AS position, 1::BIGINT AS n,
    0.5::DOUBLE AS mae, 0.5::DOUBLE AS rmse, 0.5::DOUBLE AS bias, NULL::DOUBLE AS spearman, 6.0::DOUBLE AS train_mean,
    1.0::DOUBLE AS baseline_mae, 1.0::DOUBLE AS baseline_rmse, NULL::DOUBLE AS tier_accuracy, NULL::BIGINT AS k,
    NULL::BIGINT AS relevant, NULL::DOUBLE AS recall_at_k, NULL::VARCHAR AS threshold_tier, NULL::DOUBLE AS threshold,
    NULL::DOUBLE AS precision, NULL::DOUBLE AS recall, NULL::VARCHAR AS confusion,
    6.5::DOUBLE AS train_median, 0.8::DOUBLE AS median_baseline_mae;
-- models (stages/train): one trained student.
CREATE TABLE models_input AS SELECT 'm1' AS id, 'linear' AS backend, NULL::VARCHAR AS base_model, '{}' AS params,
    ['relevance', 'evidence']::VARCHAR[] AS dimensions, 'models/m1' AS artifact, 8::BIGINT AS train_rows, 2::BIGINT AS val_rows,
    0.5::DOUBLE AS val_mae, 1.0::DOUBLE AS baseline_val_mae, 1.5::DOUBLE AS seconds, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS trained_at;
-- evaluate (stages/evaluate): eval_written as sql/eval/written_rows.sql makes it (lineage columns left out).
CREATE TABLE eval_written AS SELECT *, 1 AS model_order, 'r1' AS run_id FROM eval_rows;
CREATE TABLE compress_raw AS SELECT * FROM (VALUES
    ('a', 'ds1', 'site.example', 'Menu Home. Body one.'),
    ('b', 'ds1', 'site.example', 'Menu Home. Body two.'),
    ('c', 'ds2', NULL, 'A page with no source.'),
    ('d', 'ds2', '', 'Another, source empty.')) AS t(id, dataset, source, content);
CREATE TABLE compress_boilerplate AS SELECT * FROM (VALUES
    ('site.example', 17::BIGINT, 2::BIGINT, 'v1', 'shingles:v1', 2::BIGINT, 1::BIGINT, TIMESTAMPTZ '2026-01-01 00:00:00+00', 'r1'),
    ('site.example', NULL, 2::BIGINT, 'v1', 'shingles:v1', 2::BIGINT, 1::BIGINT, TIMESTAMPTZ '2026-01-01 00:00:00+00', 'r1'),
    ('ds2', NULL, 2::BIGINT, NULL, 'shingles:v1', 2::BIGINT, 1::BIGINT, TIMESTAMPTZ '2026-01-01 00:00:00+00', 'r1'))
    AS t(source, shingle, pages, version, method, source_pages, raw_sequence, learned_at, run_id);
CREATE TABLE compress_current AS SELECT * FROM (VALUES ('a', 'v1'), ('b', 'v0'), ('c', NULL)) AS t(id, boilerplate_version);
-- gate (stages/gate): the labels whose provenance is checked, the candidate's
-- split snapshot, its models row's lineage, and the model tags.
CREATE TABLE prov_labels AS SELECT * FROM labels_input;
CREATE TABLE prov_articles AS SELECT 'a' AS id;
CREATE TABLE train_splits AS SELECT * FROM splits_input;
ALTER TABLE models_input ADD COLUMN labels_sequence BIGINT DEFAULT 1;
ALTER TABLE models_input ADD COLUMN splits_sequence BIGINT DEFAULT 2;
ALTER TABLE models_input ADD COLUMN filter_sha256 VARCHAR DEFAULT 'f0';
CREATE TABLE model_tags_input AS SELECT * FROM (VALUES
    ('production', 'm1', NULL, 1::BIGINT, TIMESTAMPTZ '2026-01-03 00:00:00+00', 'r4'),
    ('production', 'm0', 'first', 1::BIGINT, TIMESTAMPTZ '2026-01-02 00:00:00+00', 'r3'))
    AS t(tag, model, note, models_sequence, tagged_at, run_id);
-- eval (stages/evaluate), issue 16: the calibration columns of predictions
-- (a raw score beside the calibrated one), the tiers above the bottom one, and
-- the temp tables of the ranking metrics, the threshold sweep and the
-- calibrated pass.
SET VARIABLE eval_raw_dimensions = ['relevance_raw', 'evidence_raw'];
SET VARIABLE eval_calibrated = false;
SET VARIABLE eval_recall_target = 0.9;
ALTER TABLE predictions_input ADD COLUMN IF NOT EXISTS relevance_raw DOUBLE DEFAULT 6.0;
ALTER TABLE predictions_input ADD COLUMN IF NOT EXISTS evidence_raw DOUBLE;
ALTER TABLE predictions_input ADD COLUMN IF NOT EXISTS overall_raw DOUBLE DEFAULT 4.6;
ALTER TABLE predictions_input ADD COLUMN IF NOT EXISTS tier_raw VARCHAR DEFAULT 'high';
ALTER TABLE predictions_input ADD COLUMN IF NOT EXISTS calibration VARCHAR DEFAULT 'isotonic';
ALTER TABLE eval_predictions ADD COLUMN relevance_raw DOUBLE DEFAULT 6.0;
ALTER TABLE eval_predictions ADD COLUMN evidence_raw DOUBLE;
ALTER TABLE eval_predictions ADD COLUMN calibration VARCHAR DEFAULT 'isotonic';
ALTER TABLE eval_predictions ADD COLUMN has_raw BOOLEAN DEFAULT true;
CREATE TABLE eval_upper_tiers AS SELECT 'high' AS tier, 5.0::DOUBLE AS min_score, 1 AS tier_rank;
CREATE TABLE eval_tier_ranking AS SELECT 'm1' AS model, 'test' AS split, 'high' AS tier, 5.0::DOUBLE AS min_score, 1 AS tier_rank,
    1::BIGINT AS k, 1::BIGINT AS relevant, 1::BIGINT AS found, 1.0::DOUBLE AS recall_at_k, 1.0::DOUBLE AS ndcg_at_k;
CREATE TABLE eval_threshold_sweep AS SELECT 'm1' AS model, 'test' AS split, 'high' AS decision_tier, 5.0::DOUBLE AS decision_threshold,
    t AS threshold, (4.9 >= t)::BIGINT AS predicted, (4.9 >= t)::BIGINT AS true_positives, 1::BIGINT AS positives,
    CASE WHEN 4.9 >= t THEN 1.0 END AS precision, (4.9 >= t)::DOUBLE AS recall, (4.9 >= t)::DOUBLE AS f1
    FROM (VALUES (4.5), (4.75), (5.0)) v(t);
CREATE TABLE eval_sweep_choices AS SELECT 'm1' AS model, 'test' AS split, 'best_f1' AS choice, 0.9::DOUBLE AS recall_target,
    4.75::DOUBLE AS threshold, 1::BIGINT AS predicted, 1::BIGINT AS true_positives, 1.0::DOUBLE AS precision, 1.0::DOUBLE AS recall, 1.0::DOUBLE AS f1;
CREATE TABLE eval_calibrated_models AS SELECT 'm1' AS model, 'isotonic' AS calibration;
ALTER TABLE eval_rows ADD COLUMN ndcg_at_k DOUBLE;
ALTER TABLE eval_rows ADD COLUMN threshold_sweep VARCHAR;
ALTER TABLE eval_rows ADD COLUMN best_f1_threshold DOUBLE;
ALTER TABLE eval_rows ADD COLUMN best_f1 DOUBLE;
ALTER TABLE eval_rows ADD COLUMN recall_target DOUBLE;
ALTER TABLE eval_rows ADD COLUMN recall_target_threshold DOUBLE;
ALTER TABLE eval_rows ADD COLUMN calibrated BOOLEAN DEFAULT false;
CREATE TABLE eval_rows_raw AS SELECT * FROM eval_rows;
CREATE TABLE eval_rows_calibrated AS SELECT * REPLACE (0.1::DOUBLE AS mae, true AS calibrated) FROM eval_rows;
ALTER TABLE eval_written ADD COLUMN calibrated BOOLEAN DEFAULT false;
-- report (inspect/report), issue 16: a model's calibrated row, and a
-- tier row with its ranking metrics beside the _tiers row's sweep choices.
ALTER TABLE evaluations_input ADD COLUMN ndcg_at_k DOUBLE;
ALTER TABLE evaluations_input ADD COLUMN threshold_sweep VARCHAR;
ALTER TABLE evaluations_input ADD COLUMN best_f1_threshold DOUBLE;
ALTER TABLE evaluations_input ADD COLUMN best_f1 DOUBLE;
ALTER TABLE evaluations_input ADD COLUMN recall_target DOUBLE;
ALTER TABLE evaluations_input ADD COLUMN recall_target_threshold DOUBLE;
ALTER TABLE evaluations_input ADD COLUMN calibrated BOOLEAN DEFAULT false;
INSERT INTO evaluations_input BY NAME SELECT * REPLACE (0.3::DOUBLE AS mae, true AS calibrated) FROM evaluations_input;
ALTER TABLE report_evaluations ADD COLUMN k BIGINT;
ALTER TABLE report_evaluations ADD COLUMN recall_at_k DOUBLE;
ALTER TABLE report_evaluations ADD COLUMN threshold_tier VARCHAR;
ALTER TABLE report_evaluations ADD COLUMN threshold DOUBLE;
ALTER TABLE report_evaluations ADD COLUMN ndcg_at_k DOUBLE;
ALTER TABLE report_evaluations ADD COLUMN best_f1_threshold DOUBLE;
ALTER TABLE report_evaluations ADD COLUMN best_f1 DOUBLE;
ALTER TABLE report_evaluations ADD COLUMN recall_target DOUBLE;
ALTER TABLE report_evaluations ADD COLUMN recall_target_threshold DOUBLE;
ALTER TABLE report_evaluations ADD COLUMN weighted_mae DOUBLE;
ALTER TABLE report_evaluations ADD COLUMN effective_n DOUBLE;
UPDATE report_evaluations SET weighted_mae = 0.45, effective_n = 3.2 WHERE dimension = 'relevance';
INSERT INTO report_evaluations BY NAME SELECT 'm1' AS model, 'test' AS split, '_tiers' AS dimension, 5.0::DOUBLE AS best_f1_threshold,
    0.8::DOUBLE AS best_f1, 0.9::DOUBLE AS recall_target, 4.5::DOUBLE AS recall_target_threshold,
    TIMESTAMPTZ '2026-01-02 00:00:00+00' AS evaluated_at, 'r3' AS run_id;
INSERT INTO report_evaluations BY NAME SELECT 'm1' AS model, 'test' AS split, '_tier:high' AS dimension, 1::BIGINT AS k, 1.0::DOUBLE AS recall_at_k,
    'high' AS threshold_tier, 7.0::DOUBLE AS threshold, 0.95::DOUBLE AS ndcg_at_k, TIMESTAMPTZ '2026-01-02 00:00:00+00' AS evaluated_at, 'r3' AS run_id;
-- cv (stages/cv), issue 16: cv_written as stages/evaluate.ScoreFolds makes
-- it (sql/eval/written_rows.sql's columns, one block per fold): two folds,
-- raw and calibrated, a _tiers row each.
CREATE TABLE cv_written AS
WITH r AS (
    SELECT model, split, dimension, NULL::VARCHAR AS compared_with, n, mae, rmse, bias, spearman, train_mean, baseline_mae,
           baseline_rmse, tier_accuracy, k, relevant, recall_at_k, threshold_tier, threshold, precision, recall, confusion,
           'latest' AS combine, 3::BIGINT AS predictions_sequence, 1::BIGINT AS labels_sequence, 2::BIGINT AS splits_sequence,
           TIMESTAMPTZ '2026-01-03 00:00:00+00' AS evaluated_at, 'r5' AS run_id, train_median, median_baseline_mae,
           ndcg_at_k, threshold_sweep, best_f1_threshold, best_f1, recall_target, recall_target_threshold, calibrated,
           1 AS model_order, position
    FROM eval_rows
    UNION ALL
    SELECT 'm1', 'test', '_all', NULL, 2, 0.6, 0.7, 0.1, 0.5, 6.0, 1.0, 1.1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           'latest', 3, 1, 2, TIMESTAMPTZ '2026-01-03 00:00:00+00', 'r5', 6.5, 0.8, NULL, NULL, NULL, NULL, NULL, NULL, false, 1, 100
    UNION ALL
    SELECT 'm1', 'test', '_tiers', NULL, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1.0, 1, 1, 1.0, 'high', 5.0, 1.0, 1.0,
           '[{"oracle":"high","predicted":"high","articles":1}]', 'latest', 3, 1, 2, TIMESTAMPTZ '2026-01-03 00:00:00+00', 'r5',
           NULL, NULL, 0.9, '[]', 4.75, 1.0, 0.9, 4.5, false, 1, 101
)
SELECT * REPLACE ('fold1' AS split) FROM r
UNION ALL
SELECT * REPLACE ('fold1' AS split, true AS calibrated, mae - 0.1 AS mae) FROM r
UNION ALL
SELECT * REPLACE ('fold2' AS split, mae + 0.2 AS mae, spearman - 0.2 AS spearman, recall_at_k / 2 AS recall_at_k) FROM r
UNION ALL
SELECT * REPLACE ('fold2' AS split, true AS calibrated, mae AS mae, recall_at_k / 2 AS recall_at_k) FROM r;
-- gate (stages/gate): the split snapshot a gated model trained with, where
-- the article now in test was a training article.
CREATE TABLE seen_splits AS SELECT * REPLACE ('train' AS split) FROM splits_input;
SET VARIABLE seen_models = ['m1', 'nobody'];
-- agree (curate.DefineAsks): two oracles' asks on three articles, the first
-- oracle asked twice on a.
SET VARIABLE agree_a = '';
SET VARIABLE agree_b = '';
CREATE TABLE agree_asks AS SELECT 1::BIGINT AS label_key, 'a' AS id, 'gemini/gemini-2.5-flash' AS oracle, 0::BIGINT AS ask,
    7.0::DOUBLE AS relevance, 2.0::DOUBLE AS evidence, 'named a site' AS relevance_evidence, NULL::VARCHAR AS evidence_evidence,
    1::BIGINT AS n_labels, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS labeled_at;
CREATE TABLE agree_tiers AS SELECT 1::BIGINT AS id, 5.1::DOUBLE AS overall, false AS gated, 'high' AS tier, 1 AS tier_rank, 1::BIGINT AS n_labels;
CREATE TABLE agree_scores AS SELECT * FROM (VALUES
    ('a', 'gemini/flash', 0, 'relevance', 1, 7.0), ('a', 'gemini/flash', 1, 'relevance', 1, 6.0), ('a', 'gemini/pro', 0, 'relevance', 1, 4.0),
    ('b', 'gemini/flash', 0, 'relevance', 1, 3.0), ('b', 'gemini/pro', 0, 'relevance', 1, 2.0),
    ('c', 'gemini/flash', 0, 'relevance', 1, 5.0), ('c', 'gemini/pro', 0, 'relevance', 1, 5.0))
    t(id, oracle, ask, dimension, position, score);
CREATE TABLE agree_diffs AS SELECT * FROM (VALUES
    ('gemini/flash', 'gemini/pro', 'a', 'relevance', 1, 0, 0, 7.0, 4.0, -3.0), ('gemini/flash', 'gemini/pro', 'a', 'relevance', 1, 1, 0, 6.0, 4.0, -2.0),
    ('gemini/flash', 'gemini/pro', 'b', 'relevance', 1, 0, 0, 3.0, 2.0, -1.0), ('gemini/flash', 'gemini/pro', 'c', 'relevance', 1, 0, 0, 5.0, 5.0, 0.0),
    ('gemini/flash', 'gemini/flash', 'a', 'relevance', 1, 0, 1, 7.0, 6.0, -1.0))
    t(a, b, id, dimension, position, ask_a, ask_b, score_a, score_b, d);
SET VARIABLE agree_top = 2;
CREATE TABLE agree_listed AS SELECT 'a' AS id, 2.5::DOUBLE AS spread, true AS tier_flip, 'gemini/pro vs gemini/flash' AS pairs;
CREATE TABLE agree_compressed AS SELECT 'a' AS id, 'Title. Text.' AS text;
CREATE TABLE agreements_input AS SELECT * FROM (VALUES
    ('pair', 'gemini/flash', 'gemini/pro', 'relevance', 3::BIGINT, 1.2, -1.1, -2.5, 0.3, 0.9, 0.5, 0.61, NULL::DOUBLE, TIMESTAMPTZ '2026-01-04 00:00:00+00', 'r9'),
    ('pair', 'gemini/flash', 'gemini/pro', 'tier', 3::BIGINT, 0.3, -0.3, -0.9, 0.3, 0.4, 0.5, 0.2, 0.67, TIMESTAMPTZ '2026-01-04 00:00:00+00', 'r9'),
    ('all', '*', '*', 'relevance', 3::BIGINT, NULL, NULL, NULL, NULL, NULL, NULL, 0.61, NULL, TIMESTAMPTZ '2026-01-04 00:00:00+00', 'r9'),
    ('pair', 'gemini/flash', 'gemini/pro', 'relevance', 2::BIGINT, 2.0, -2.0, -3.0, -1.0, 0.5, 0.1, 0.1, NULL, TIMESTAMPTZ '2026-01-03 00:00:00+00', 'r8'))
    t(kind, oracle_a, oracle_b, dimension, articles, mae, mean_offset, offset_low, offset_high, mae_after_offset, spearman, alpha, tier_agreement, agreed_at, run_id);
ALTER TABLE agreements_input ADD COLUMN labels_sequence BIGINT DEFAULT 1;
SET VARIABLE floor_oracle = 'gemini/gemini-2.5-flash';
-- evaluate (stages/evaluate), issue 18: labels chosen by label --select.
-- a was drawn at random with probability 0.25 (weight 4) by a mixture, b
-- picked by upper alone (inclusion 1, no random part); eval_weights as
-- sql/eval/article_weights.sql makes it, eval_scores two articles' scores.
ALTER TABLE labels_input ADD COLUMN selected_by VARCHAR;
ALTER TABLE labels_input ADD COLUMN inclusion DOUBLE;
ALTER TABLE labels_input ADD COLUMN selection VARCHAR;
UPDATE labels_input SET selected_by = 'random', inclusion = 0.25, selection = 'upper:0.5,random:0.5 budget=4 seed=1 model=m1';
CREATE TABLE eval_weights AS SELECT * FROM (VALUES
    ('a', 'random', 0.25::DOUBLE, 4.0::DOUBLE, 'upper:0.5,random:0.5 budget=4 seed=1 model=m1', true),
    ('b', 'upper', 1.0::DOUBLE, 1.0::DOUBLE, 'upper budget=1 seed=1 model=m1', false))
    t(id, selected_by, inclusion, weight, selection, unbiased);
INSERT INTO eval_scores VALUES
    ('m1', 'test', 'a', 'relevance', 1, 6.5, 7.0, NULL, NULL), ('m1', 'test', 'a', 'evidence', 2, 2.5, 2.0, NULL, NULL),
    ('m1', 'test', 'a', 'overall', 3, 4.9, 5.1, NULL, NULL), ('m1', 'test', 'b', 'relevance', 1, 3.0, 5.0, NULL, NULL),
    ('m1', 'test', 'b', 'evidence', 2, 4.0, 3.0, NULL, NULL), ('m1', 'test', 'b', 'overall', 3, 3.4, 4.2, NULL, NULL);
CREATE TABLE eval_weighted_errors AS SELECT * FROM (VALUES
    ('m1', 'test', 'relevance', 0.8::DOUBLE, 1.47::DOUBLE)) t(model, split, dimension, weighted_mae, effective_n);
ALTER TABLE eval_rows ADD COLUMN weighted_mae DOUBLE;
ALTER TABLE eval_rows ADD COLUMN effective_n DOUBLE;
UPDATE eval_rows SET weighted_mae = 0.8, effective_n = 1.47;
-- score (stages/score): a filter's scores, article a scored twice (a rescore
-- with a new production model), b rejected by the prefilter, c scored; and
-- a candidate m2's shadow scores of them (b passes its prefilter).
CREATE TABLE scores_input AS SELECT * FROM (VALUES
    ('a', 'm0', true, 'passed', 3.0::DOUBLE, 2.0::DOUBLE, 3.0::DOUBLE, 'low', TIMESTAMPTZ '2026-01-01 00:00:00+00'),
    ('a', 'm1', true, 'passed', 7.0::DOUBLE, 6.0::DOUBLE, 6.5::DOUBLE, 'high', TIMESTAMPTZ '2026-01-02 00:00:00+00'),
    ('b', 'm1', false, 'too_short:12_chars', NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::VARCHAR, TIMESTAMPTZ '2026-01-02 00:00:00+00'),
    ('c', 'm1', true, 'passed', 2.0::DOUBLE, 1.0::DOUBLE, 1.6::DOUBLE, 'low', TIMESTAMPTZ '2026-01-02 00:00:00+00'))
    t(id, model, passed, reason, relevance, evidence, overall, tier, scored_at);
CREATE TABLE shadow_input AS SELECT * FROM (VALUES
    ('a', 'm2', true, 'passed', 5.0::DOUBLE, 6.0::DOUBLE, 5.4::DOUBLE, 'low'),
    ('b', 'm2', true, 'passed', 1.0::DOUBLE, 1.0::DOUBLE, 1.0::DOUBLE, 'low'),
    ('c', 'm2', true, 'passed', 2.5::DOUBLE, 1.0::DOUBLE, 1.9::DOUBLE, 'low'))
    t(id, model, passed, reason, relevance, evidence, overall, tier);
SET VARIABLE lowest_tier = 'low';
CREATE TABLE shadow_both AS SELECT * FROM (VALUES
    ('a', 'm1', true, true, 'high', 'low', 6.5::DOUBLE, 5.4::DOUBLE),
    ('b', 'm1', false, true, 'rejected', 'low', NULL::DOUBLE, 1.0::DOUBLE),
    ('c', 'm1', true, true, 'low', 'low', 1.6::DOUBLE, 1.9::DOUBLE))
    t(id, production_model, production_passed, candidate_passed, production_tier, candidate_tier, production_overall, candidate_overall);
-- cascade (stages/score): a first stage's predictions, its pairs with the
-- labels (val: positives at 6 and 3, a negative at 4; test: a positive at
-- 5, negatives at 2 and 7), and two runs of distill cascade.
CREATE TABLE cascade_predictions AS SELECT * FROM (VALUES ('a', 'm1', 5.0::DOUBLE)) t(id, model, overall);
CREATE TABLE cascade_pairs AS SELECT * FROM (VALUES
    ('val', 'v1', 6.0::DOUBLE, true), ('val', 'v2', 3.0::DOUBLE, true), ('val', 'v3', 4.0::DOUBLE, false),
    ('test', 't1', 5.0::DOUBLE, true), ('test', 't2', 2.0::DOUBLE, false), ('test', 't3', 7.0::DOUBLE, false))
    t(split, id, predicted, positive);
CREATE TABLE cascades_input AS SELECT * FROM (VALUES
    ('m1', 3.5::DOUBLE, true, TIMESTAMPTZ '2026-01-01 00:00:00+00', 'r1'),
    ('m1', NULL::DOUBLE, false, TIMESTAMPTZ '2026-01-02 00:00:00+00', 'r2'))
    t(first_model, threshold, enabled, measured_at, run_id);
-- model export and describe (students/bundle): the calibration columns of a
-- models row, and one gate run of m1 against production.
ALTER TABLE models_input ADD COLUMN calibration VARCHAR DEFAULT 'isotonic:v1 sha256:c0';
CREATE TABLE gates_input AS SELECT * FROM (VALUES
    ('m1', 'production', 'mae', 0.5::DOUBLE, 0.6::DOUBLE, -0.1::DOUBLE, -0.2::DOUBLE, 0.0::DOUBLE, false, 'pass', TIMESTAMPTZ '2026-01-04 00:00:00+00', 'r5'),
    ('m1', 'production', 'mae', 0.7::DOUBLE, 0.6::DOUBLE, 0.1::DOUBLE, 0.05::DOUBLE, 0.2::DOUBLE, true, 'regression', TIMESTAMPTZ '2026-01-03 00:00:00+00', 'r4'))
    AS t(candidate, against, metric, candidate_value, against_value, difference, difference_low, difference_high, regression, verdict, gated_at, run_id);
-- drift (stages/drift): scores of two weeks (a1 rescored: the newest row
-- counts; a3 and b3 rejected; b2 undated, b3 dated after it was scored:
-- both fall back to scored_at), their windows, the train labels, and the
-- long form and PSI the later files read.
CREATE TABLE drift_scores AS SELECT * FROM (VALUES
    ('a1', 'm0', true, 2.0::DOUBLE, 2.0::DOUBLE, 2.0::DOUBLE, 'low', TIMESTAMPTZ '2026-01-07 00:00:00+00', 'r0'),
    ('a1', 'm1', true, 5.0::DOUBLE, 5.0::DOUBLE, 5.0::DOUBLE, 'high', TIMESTAMPTZ '2026-01-08 00:00:00+00', 'r1'),
    ('a2', 'm1', true, 7.0::DOUBLE, 6.0::DOUBLE, 6.6::DOUBLE, 'high', TIMESTAMPTZ '2026-01-08 00:00:00+00', 'r1'),
    ('a3', 'm1', false, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::VARCHAR, TIMESTAMPTZ '2026-01-08 00:00:00+00', 'r1'),
    ('b1', 'm1', true, 8.6::DOUBLE, 5.0::DOUBLE, 7.2::DOUBLE, 'high', TIMESTAMPTZ '2026-01-15 00:00:00+00', 'r2'),
    ('b2', 'm1', true, 9.4::DOUBLE, 1.0::DOUBLE, 3.5::DOUBLE, 'low', TIMESTAMPTZ '2026-01-15 00:00:00+00', 'r2'),
    ('b3', 'm1', false, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL::VARCHAR, TIMESTAMPTZ '2026-01-15 00:00:00+00', 'r2'))
    t(id, model, passed, relevance, evidence, overall, tier, scored_at, run_id);
CREATE TABLE drift_raw AS SELECT * FROM (VALUES
    ('a1', '2026-01-06'), ('a2', '2026-01-07T10:00:00Z'), ('a3', '2026-01-06'),
    ('b1', '2026-01-13 08:00'), ('b2', 'January 2026'), ('b3', '2027-01-01')) t(id, published_date);
CREATE TABLE drift_articles AS SELECT * FROM (VALUES
    ('a1', 'm1', '2026-W02', TIMESTAMP '2026-01-05', 'published', true, 'high', 5.0::DOUBLE, 5.0::DOUBLE, 5.0::DOUBLE),
    ('a2', 'm1', '2026-W02', TIMESTAMP '2026-01-05', 'published', true, 'high', 6.6::DOUBLE, 7.0::DOUBLE, 6.0::DOUBLE),
    ('a3', 'm1', '2026-W02', TIMESTAMP '2026-01-05', 'published', false, NULL, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE),
    ('b1', 'm1', '2026-W03', TIMESTAMP '2026-01-12', 'published', true, 'high', 7.2::DOUBLE, 8.6::DOUBLE, 5.0::DOUBLE),
    ('b2', 'm1', '2026-W03', TIMESTAMP '2026-01-12', 'scored_at', true, 'low', 3.5::DOUBLE, 9.4::DOUBLE, 1.0::DOUBLE),
    ('b3', 'm1', '2026-W03', TIMESTAMP '2026-01-12', 'scored_at', false, NULL, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE))
    t(id, model, window_name, window_start, dated_by, passed, tier, overall, relevance, evidence);
CREATE TABLE drift_windows AS SELECT * FROM (VALUES
    ('2026-W03', 1::BIGINT, TIMESTAMP '2026-01-12', 3::BIGINT, 2::BIGINT, 2::BIGINT),
    ('2026-W02', 2::BIGINT, TIMESTAMP '2026-01-05', 3::BIGINT, 2::BIGINT, 0::BIGINT))
    t(window_name, position, window_start, articles, passed, dated_by_scored_at);
CREATE TABLE drift_train AS SELECT 'a' AS id, 'high' AS tier, 5.1::DOUBLE AS overall, 7.0::DOUBLE AS relevance, 2.0::DOUBLE AS evidence;
CREATE TABLE drift_values AS SELECT * FROM (VALUES
    ('recent', 0, 'b1', 'relevance', 8.6::DOUBLE, '9'), ('recent', 0, 'b2', 'relevance', 9.4::DOUBLE, '9'),
    ('recent', 0, 'b1', 'tier', 1.0::DOUBLE, 'high'), ('recent', 0, 'b2', 'tier', 0.0::DOUBLE, 'low'),
    ('earlier', 2, 'a1', 'relevance', 5.0::DOUBLE, '5'), ('earlier', 2, 'a2', 'relevance', 7.0::DOUBLE, '7'),
    ('earlier', 2, 'a1', 'tier', 1.0::DOUBLE, 'high'), ('earlier', 2, 'a2', 'tier', 1.0::DOUBLE, 'high'),
    ('train', 1, 'a', 'relevance', 9.0::DOUBLE, '9'), ('train', 1, 'a', 'tier', 1.0::DOUBLE, 'high'))
    t(population, baseline_order, id, dimension, value, bin);
CREATE TABLE drift_psi AS SELECT * FROM (VALUES
    ('train', 1, 'relevance', 2::BIGINT, 1::BIGINT, 0.0::DOUBLE, 1::BIGINT, 9.0::DOUBLE, 9.0::DOUBLE),
    ('earlier', 2, 'relevance', 2::BIGINT, 2::BIGINT, 6.2::DOUBLE, 3::BIGINT, 9.0::DOUBLE, 6.0::DOUBLE),
    ('earlier', 2, 'tier', 2::BIGINT, 2::BIGINT, 2.4::DOUBLE, 2::BIGINT, 0.5::DOUBLE, 1.0::DOUBLE),
    ('earlier', 2, 'evidence', 400::BIGINT, 400::BIGINT, 0.5::DOUBLE, 5::BIGINT, 6.0::DOUBLE, 4.0::DOUBLE),
    ('earlier', 2, 'overall', 400::BIGINT, 400::BIGINT, 0.05::DOUBLE, 5::BIGINT, 5.1::DOUBLE, 5.0::DOUBLE))
    t(baseline, baseline_order, dimension, recent_articles, baseline_articles, psi, bins, recent_value, baseline_value);
-- report: two drift runs; the later one's train and earlier rows are shown.
CREATE TABLE drift_input AS SELECT * FROM (VALUES
    ('2026-W02', 'week', 'train', 'relevance', 40::BIGINT, 50::BIGINT, 0.05::DOUBLE, 5.0::DOUBLE, 5.1::DOUBLE, -0.1::DOUBLE, false, '', 0.2::DOUBLE, TIMESTAMPTZ '2026-01-10 00:00:00+00', 'r1'),
    ('2026-W03', 'week', 'earlier', 'relevance', 40::BIGINT, 40::BIGINT, 0.31::DOUBLE, 6.5::DOUBLE, 5.0::DOUBLE, 1.5::DOUBLE, true, '', 0.2::DOUBLE, TIMESTAMPTZ '2026-01-17 00:00:00+00', 'r2'),
    ('2026-W03', 'week', 'earlier', 'pass_rate', 45::BIGINT, 44::BIGINT, NULL::DOUBLE, 0.9::DOUBLE, 0.9::DOUBLE, 0.0::DOUBLE, false, '', 0.2::DOUBLE, TIMESTAMPTZ '2026-01-17 00:00:00+00', 'r2'),
    ('2026-W03', 'week', 'train', 'relevance', 40::BIGINT, 50::BIGINT, 0.25::DOUBLE, 6.5::DOUBLE, 5.1::DOUBLE, 1.4::DOUBLE, true, '', 0.2::DOUBLE, TIMESTAMPTZ '2026-01-17 00:00:00+00', 'r2'),
    ('2026-W03', 'week', 'train', 'evidence', 10::BIGINT, 50::BIGINT, 0.9::DOUBLE, 2.0::DOUBLE, 5.0::DOUBLE, -3.0::DOUBLE, false, 'too few articles to judge', 0.2::DOUBLE, TIMESTAMPTZ '2026-01-17 00:00:00+00', 'r2'),
    ('2026-W03', 'week', '2026-W01', 'relevance', 40::BIGINT, 20::BIGINT, 0.4::DOUBLE, 6.5::DOUBLE, 5.0::DOUBLE, 1.5::DOUBLE, true, '', 0.2::DOUBLE, TIMESTAMPTZ '2026-01-17 00:00:00+00', 'r2'))
    t(recent_window, "by", baseline, dimension, recent_articles, baseline_articles, psi, recent_value, baseline_value, change, flagged, note, threshold, drifted_at, run_id);
-- label --select drift: the flagged dimensions of the later drift run, and
-- the labels to compare the window with.
SET VARIABLE drift_dimensions = ['relevance'];
CREATE TABLE drift_labels AS SELECT * FROM (VALUES
    ('a1', TIMESTAMPTZ '2026-01-01 00:00:00+00', 5.0::DOUBLE, 5.0::DOUBLE, 5.0::DOUBLE),
    ('a2', TIMESTAMPTZ '2026-01-01 00:00:00+00', 6.0::DOUBLE, 7.0::DOUBLE, 6.0::DOUBLE),
    ('a2', TIMESTAMPTZ '2026-01-02 00:00:00+00', 6.0::DOUBLE, 9.0::DOUBLE, 6.0::DOUBLE))
    t(id, labeled_at, overall, relevance, evidence);
CREATE TABLE drift_predictions AS SELECT * FROM predictions_input;
ALTER TABLE drift_input ADD COLUMN train_source VARCHAR DEFAULT 'labels';
