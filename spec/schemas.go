package spec

import (
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
)

// rawSchema is corpus.raw's: one row per article.
var rawSchema = lake.Schema{
	{Name: "id", Type: lake.String, Distinct: true, Required: true, Doc: "the input's own id, else u-<hash of url>, else h-<hash of title and content>"},
	{Name: "dataset", Type: lake.String, Doc: "--source, else the input's base name"},
	{Name: "source", Type: lake.String, Doc: "the record's own source (publisher, feed)"},
	{Name: "title", Type: lake.String, Distinct: true},
	{Name: "content", Type: lake.String, Distinct: true, Doc: "the article body; the description when the record has no body"},
	{Name: "description", Type: lake.String, Distinct: true},
	{Name: "published_date", Type: lake.String, Doc: "as given: a date, a timestamp or a year"},
	{Name: "url", Type: lake.String, Distinct: true},
	{Name: "tags", Type: lake.StringList, Doc: "e.g. the folder a .txt article was in"},
	{Name: "extra", Type: lake.String, Distinct: true, Doc: "JSON object of input fields with no column; keys starting with _ are ingest notes"},
	{Name: "content_sha256", Type: lake.String, Distinct: true, Required: true},
	{Name: "file", Type: lake.String, Doc: "input file: absolute, cleaned, symlinks resolved (one name per file however it was given)"},
	{Name: "line", Type: lake.Long, Doc: "line (or row) of the record in its file"},
	{Name: "ingested_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}

// rejectsSchema is corpus.rejects'.
var rejectsSchema = lake.Schema{
	{Name: "file", Type: lake.String, Required: true, Doc: "as in corpus.raw: absolute, symlinks resolved"},
	{Name: "line", Type: lake.Long, Doc: "0 when the whole file is rejected"},
	{Name: "reason", Type: lake.String, Required: true, Doc: "a stable code, e.g. malformed_json"},
	{Name: "detail", Type: lake.String},
	{Name: "excerpt", Type: lake.String, Distinct: true, Doc: "the first 200 characters of the record"},
	{Name: "dataset", Type: lake.String},
	{Name: "rejected_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}

// prefilteredSchema is <filter>.prefiltered's.
var prefilteredSchema = lake.Schema{
	{Name: "id", Type: lake.String, Required: true, Distinct: true},
	{Name: "passed", Type: lake.Bool, Required: true},
	{Name: "reason", Type: lake.String, Required: true, Doc: "passed, or why not: excluded:<category>, too_short:<n>_chars, no_domain_keywords, …"},
	{Name: "rule", Type: lake.String, Required: true, Doc: "the rule that decided"},
	{Name: "filter_version", Type: lake.Int},
	{Name: "filter_sha256", Type: lake.String},
	{Name: "raw_sequence", Type: lake.Long, Doc: "the corpus.raw snapshot the article was read from"},
	{Name: "decided_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}

// compressedSchema is <filter>.compressed's.
var compressedSchema = lake.Schema{
	{Name: "id", Type: lake.String, Required: true, Distinct: true},
	{Name: "text", Type: lake.String, Required: true, Distinct: true, Doc: "the exact model input: oracle prompt and training text are made from it"},
	{Name: "words", Type: lake.Long},
	{Name: "chars", Type: lake.Long},
	{Name: "truncated", Type: lake.Bool},
	{Name: "text_sha256", Type: lake.String, Distinct: true},
	{Name: "method", Type: lake.String, Doc: "rendering and settings, e.g. head_tail:v1:800:0.70"},
	{Name: "minhash", Type: lake.LongList, Doc: "MinHash signature of the text's word 5-shingles (" + SignatureMethod + "), for near-duplicate grouping"},
	{Name: "prefilter_sequence", Type: lake.Long},
	{Name: "raw_sequence", Type: lake.Long},
	{Name: "compressed_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}

// oracleCallsSchema is <filter>.oracle_calls'.
var oracleCallsSchema = lake.Schema{
	{Name: "cache_key", Type: lake.String, Required: true, Distinct: true, Doc: "sha256 of oracle kind, model, rendered prompt, schema, temperature, max tokens"},
	{Name: "id", Type: lake.String, Distinct: true},
	{Name: "oracle", Type: lake.String},
	{Name: "model", Type: lake.String},
	{Name: "prompt_sha256", Type: lake.String, Distinct: true},
	{Name: "status", Type: lake.String, Required: true, Doc: "ok or failed"},
	{Name: "error_class", Type: lake.String},
	{Name: "http_status", Type: lake.Int},
	{Name: "error", Type: lake.String},
	{Name: "response", Type: lake.String, Distinct: true, Doc: "the raw response text"},
	{Name: "tokens_in", Type: lake.Long},
	{Name: "tokens_out", Type: lake.Long},
	{Name: "cost_usd", Type: lake.Double},
	{Name: "latency_ms", Type: lake.Long},
	{Name: "attempt", Type: lake.Int},
	{Name: "temperature", Type: lake.Double},
	{Name: "max_tokens", Type: lake.Int},
	{Name: "called_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}

// splitsSchema is <filter>.splits'.
var splitsSchema = lake.Schema{
	{Name: "id", Type: lake.String, Required: true, Distinct: true},
	{Name: "split", Type: lake.String, Required: true, Doc: "train, val, test, or excluded (see note)"},
	{Name: "stratum", Type: lake.String, Doc: "tier, or score bin, the article was stratified by"},
	{Name: "dup_group", Type: lake.String, Doc: "duplicate group (its smallest id); the article's own id when it has no duplicate"},
	{Name: "seed", Type: lake.Long, Doc: "seed of the run that first assigned the article"},
	{Name: "balanced_out", Type: lake.Bool, Doc: "a training article left out by --balance"},
	{Name: "note", Type: lake.String, Doc: "why an article is excluded, or has no label in the labels read"},
	{Name: "assigned_run_id", Type: lake.String, Doc: "run that first assigned the article: it never moves after"},
	{Name: "labels_sequence", Type: lake.Long, Doc: "the labels snapshot this split was made from"},
	{Name: "split_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}

// modelsSchema is <filter>.models'.
var modelsSchema = lake.Schema{
	{Name: "id", Type: lake.String, Required: true, Doc: "the model id, e.g. linear-20261126-183000-3fa2"},
	{Name: "backend", Type: lake.String, Required: true, Doc: "linear or lora"},
	{Name: "base_model", Type: lake.String, Doc: "lora: the base model path or hub id"},
	{Name: "params", Type: lake.String, Doc: "every hyperparameter, JSON"},
	{Name: "dimensions", Type: lake.StringList, Doc: "the outputs, in order"},
	{Name: "labels_sequence", Type: lake.Long},
	{Name: "splits_sequence", Type: lake.Long, Doc: "the split snapshot trained (train) and selected (val) on"},
	{Name: "splits_snapshot_id", Type: lake.Long},
	{Name: "compressed_sequence", Type: lake.Long},
	{Name: "filter_sha256", Type: lake.String},
	{Name: "artifact", Type: lake.String, Doc: "folder of the model files, relative to the lake root"},
	{Name: "train_rows", Type: lake.Long},
	{Name: "val_rows", Type: lake.Long},
	{Name: "val_mae", Type: lake.Double, Doc: "validation MAE, mean over dimensions"},
	{Name: "val_mae_per_dimension", Type: lake.DoubleList},
	{Name: "baseline_val_mae", Type: lake.Double, Doc: "validation MAE of predicting the training mean"},
	{Name: "seconds", Type: lake.Double},
	{Name: "trained_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}

// evaluationsSchema is <filter>.evaluations': every run appends one row per
// (model, split, dimension) and one per (model, split) with dimension
// '_tiers'. Rows of one run share run_id; a metric that does not apply to a
// row is null.
var evaluationsSchema = lake.Schema{
	{Name: "model", Type: lake.String, Required: true, Doc: "model id (a row of <filter>.models)"},
	{Name: "split", Type: lake.String, Required: true, Doc: "test, val, train, or all"},
	{Name: "dimension", Type: lake.String, Required: true, Doc: "a filter dimension; overall (the overall score); _all (every score of every dimension pooled); _tiers (tier metrics)"},
	{Name: "compared_with", Type: lake.String, Doc: "the other model of a --compare run: both were scored on the articles both predicted"},
	{Name: "n", Type: lake.Long, Doc: "scores compared (articles; articles x dimensions for _all; articles with a predicted tier for _tiers)"},
	{Name: "mae", Type: lake.Double, Doc: "mean absolute error against the oracle"},
	{Name: "rmse", Type: lake.Double, Doc: "root mean squared error"},
	{Name: "bias", Type: lake.Double, Doc: "mean of prediction minus oracle"},
	{Name: "spearman", Type: lake.Double, Doc: "rank correlation with the oracle (average ranks for ties); null when a side is constant"},
	{Name: "train_mean", Type: lake.Double, Doc: "the baseline's prediction: the mean oracle score of the training articles"},
	{Name: "baseline_mae", Type: lake.Double, Doc: "MAE of predicting train_mean for every article"},
	{Name: "baseline_rmse", Type: lake.Double, Doc: "RMSE of predicting train_mean for every article"},
	{Name: "tier_accuracy", Type: lake.Double, Doc: "_tiers: share of articles in the oracle's tier"},
	{Name: "k", Type: lake.Long, Doc: "_tiers: the k of recall_at_k"},
	{Name: "relevant", Type: lake.Long, Doc: "_tiers: articles in the oracle's tiers above the bottom one"},
	{Name: "recall_at_k", Type: lake.Double, Doc: "_tiers: share of the relevant articles among the k predicted highest"},
	{Name: "threshold_tier", Type: lake.String, Doc: "_tiers: the lowest tier above the bottom one"},
	{Name: "threshold", Type: lake.Double, Doc: "_tiers: its min_score"},
	{Name: "precision", Type: lake.Double, Doc: "_tiers: of the articles predicted at or above threshold, the share the oracle put there"},
	{Name: "recall", Type: lake.Double, Doc: "_tiers: of the articles the oracle put at or above threshold, the share predicted there"},
	{Name: "confusion", Type: lake.String, Doc: `_tiers: JSON list of {"oracle", "predicted", "articles"}, every pair of tiers from the highest`},
	{Name: "combine", Type: lake.String, Doc: "how several labels of an article were combined"},
	{Name: "predictions_sequence", Type: lake.Long, Doc: "the predictions snapshot read"},
	{Name: "labels_sequence", Type: lake.Long, Doc: "the labels snapshot read"},
	{Name: "splits_sequence", Type: lake.Long, Doc: "the splits snapshot read (null when there is none)"},
	{Name: "evaluated_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}

// labelsSchema has one score and one evidence column per dimension.
func labelsSchema(f *filters.Filter) lake.Schema {
	s := lake.Schema{{Name: "id", Type: lake.String, Required: true, Distinct: true}}
	for _, d := range f.Dimensions {
		s = append(s, lake.Column{Name: d.Name, Type: lake.Double, Doc: d.Description})
	}
	for _, d := range f.Dimensions {
		s = append(s, lake.Column{Name: d.Name + "_evidence", Type: lake.String, Distinct: true})
	}
	return append(s, lake.Schema{
		{Name: "content_type", Type: lake.String},
		{Name: "overall", Type: lake.Double, Doc: "weighted mean after gatekeepers, computed from filter.yaml"},
		{Name: "gatekeeper_applied", Type: lake.Bool},
		{Name: "tier", Type: lake.String, Doc: "computed from filter.yaml, never taken from the oracle"},
		{Name: "oracle", Type: lake.String, Doc: "gemini, openai, keywords or import"},
		{Name: "model", Type: lake.String},
		{Name: "prompt_sha256", Type: lake.String, Distinct: true},
		{Name: "input_sha256", Type: lake.String, Distinct: true, Doc: "text_sha256 of the compressed text the oracle saw"},
		{Name: "cache_key", Type: lake.String, Distinct: true},
		{Name: "tokens_in", Type: lake.Long},
		{Name: "tokens_out", Type: lake.Long},
		{Name: "cost_usd", Type: lake.Double},
		{Name: "latency_ms", Type: lake.Long},
		{Name: "attempts", Type: lake.Int},
		{Name: "cached", Type: lake.Bool, Doc: "answer taken from oracle_calls: no call, no cost"},
		{Name: "imported", Type: lake.Bool, Doc: "made elsewhere: its oracle saw another rendering of the text"},
		{Name: "repaired", Type: lake.String, Doc: "what was fixed to parse the answer (code_fence, trailing_comma, …)"},
		{Name: "filter_sha256", Type: lake.String},
		{Name: "labeled_at", Type: lake.TimestampTz},
		{Name: "run_id", Type: lake.String},
	}...)
}

// predictionsSchema has one score column per dimension.
func predictionsSchema(f *filters.Filter) lake.Schema {
	s := lake.Schema{
		{Name: "id", Type: lake.String, Required: true, Distinct: true},
		{Name: "model", Type: lake.String, Required: true},
	}
	for _, d := range f.Dimensions {
		s = append(s, lake.Column{Name: d.Name, Type: lake.Double})
	}
	return append(s, lake.Schema{
		{Name: "overall", Type: lake.Double, Doc: "weighted, after gatekeepers, from filter.yaml"},
		{Name: "gatekeeper_applied", Type: lake.Bool},
		{Name: "tier", Type: lake.String},
		{Name: "split", Type: lake.String, Doc: "the article's split when predicted, if it had one"},
		{Name: "predicted_at", Type: lake.TimestampTz},
		{Name: "run_id", Type: lake.String},
	}...)
}

// SignatureMethod names compress's MinHash signature (stored in the
// compressed table's method column and in its schema's doc), so that a
// future change is visible. Package compress computes it.
const SignatureMethod = "minhash:v2:32x16bit:8bands:5w"
