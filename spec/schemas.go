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
	{Name: "title", Type: lake.String, Distinct: true, Doc: "the article's title"},
	{Name: "content", Type: lake.String, Distinct: true, Doc: "the article body; the description when the record has no body"},
	{Name: "description", Type: lake.String, Distinct: true, Doc: "the input's summary or description, when it has one"},
	{Name: "published_date", Type: lake.String, Doc: "as given: a date, a timestamp or a year"},
	{Name: "url", Type: lake.String, Distinct: true, Doc: "the article's address"},
	{Name: "tags", Type: lake.StringList, Doc: "e.g. the folder a .txt article was in"},
	{Name: "extra", Type: lake.String, Distinct: true, Doc: "JSON object of input fields with no column; keys starting with _ are ingest notes"},
	{Name: "content_sha256", Type: lake.String, Distinct: true, Required: true, Doc: "sha256 of content, for exact-duplicate checks"},
	{Name: "file", Type: lake.String, Doc: "input file: absolute, cleaned, symlinks resolved (one name per file however it was given)"},
	{Name: "line", Type: lake.Long, Doc: "line (or row) of the record in its file"},
	{Name: "ingested_at", Type: lake.TimestampTz, Doc: "when the ingest run wrote the row"},
	{Name: "run_id", Type: lake.String, Doc: "the ingest run that wrote the row (distill log lists it)"},
}

// rejectsSchema is corpus.rejects'.
var rejectsSchema = lake.Schema{
	{Name: "file", Type: lake.String, Required: true, Doc: "as in corpus.raw: absolute, symlinks resolved"},
	{Name: "line", Type: lake.Long, Doc: "0 when the whole file is rejected"},
	{Name: "reason", Type: lake.String, Required: true, Doc: "a stable code, e.g. malformed_json"},
	{Name: "detail", Type: lake.String, Doc: "what was wrong, in words (the parser's message)"},
	{Name: "excerpt", Type: lake.String, Distinct: true, Doc: "the first 200 characters of the record"},
	{Name: "dataset", Type: lake.String, Doc: "--source, else the input's base name, as in corpus.raw"},
	{Name: "rejected_at", Type: lake.TimestampTz, Doc: "when the ingest run rejected the record"},
	{Name: "run_id", Type: lake.String, Doc: "the ingest run that rejected the record"},
}

// prefilteredSchema is <filter>.prefiltered's.
var prefilteredSchema = lake.Schema{
	{Name: "id", Type: lake.String, Required: true, Distinct: true, Doc: "the article (a corpus.raw id)"},
	{Name: "passed", Type: lake.Bool, Required: true, Doc: "true when the article goes on to compress and label"},
	{Name: "reason", Type: lake.String, Required: true, Doc: "passed, or why not: excluded:<category>, too_short:<n>_chars, no_domain_keywords, …"},
	{Name: "rule", Type: lake.String, Required: true, Doc: "the rule that decided"},
	{Name: "filter_version", Type: lake.Int, Doc: "version of the filter package (filter.yaml) that decided"},
	{Name: "filter_sha256", Type: lake.String, Doc: "hash of the filter package's files when it decided"},
	{Name: "raw_sequence", Type: lake.Long, Doc: "the corpus.raw snapshot the article was read from"},
	{Name: "decided_at", Type: lake.TimestampTz, Doc: "when the prefilter run decided"},
	{Name: "run_id", Type: lake.String, Doc: "the prefilter run that decided"},
}

// boilerplateSchema is corpus.boilerplate's: each source's learned model
// (compress learns it from corpus.raw, and learns a source again when it has
// grown or shrunk by a quarter since).
var boilerplateSchema = lake.Schema{
	{Name: "source", Type: lake.String, Required: true, Doc: "what the model was learned for: corpus.raw's source, else its dataset"},
	{Name: "shingle", Type: lake.Long, Doc: "hash of a run of words that is furniture; NULL on the source's own row"},
	{Name: "pages", Type: lake.Long, Doc: "distinct pages holding the shingle; on the source's row, the distinct pages learned from"},
	{Name: "version", Type: lake.String, Doc: "the source's model version (a digest of its shingles), as compressed.boilerplate_version; NULL when the source had too few distinct pages"},
	{Name: "method", Type: lake.String, Doc: "the learning rule and its parameters"},
	{Name: "source_pages", Type: lake.Long, Doc: "the source's rows in corpus.raw when it was learned"},
	{Name: "raw_sequence", Type: lake.Long, Doc: "the corpus.raw snapshot it was learned from"},
	{Name: "learned_at", Type: lake.TimestampTz, Doc: "when the source was learned"},
	{Name: "run_id", Type: lake.String, Doc: "the compress run that learned it"},
}

// compressedSchema is <filter>.compressed's.
var compressedSchema = lake.Schema{
	{Name: "id", Type: lake.String, Required: true, Distinct: true, Doc: "the article (a corpus.raw id that passed the prefilter)"},
	{Name: "text", Type: lake.String, Required: true, Distinct: true, Doc: "the exact model input: oracle prompt and training text are made from it"},
	{Name: "words", Type: lake.Long, Doc: "words in text"},
	{Name: "chars", Type: lake.Long, Doc: "characters in text"},
	{Name: "truncated", Type: lake.Bool, Doc: "true when text is shorter than the article (head and tail kept, middle cut)"},
	{Name: "text_sha256", Type: lake.String, Distinct: true, Doc: "sha256 of text: the labels' input_sha256"},
	{Name: "method", Type: lake.String, Doc: "rendering and settings, e.g. head_tail:v2:800:0.70+learned:shingles:v1:…"},
	{Name: "minhash", Type: lake.LongList, Doc: "MinHash signature of the text's word 5-shingles (" + SignatureMethod + "), for near-duplicate grouping"},
	{Name: "boilerplate_version", Type: lake.String, Doc: "the version of the article's source's learned model the text was cut with (corpus.boilerplate.version; it cuts nothing from a page it would all but empty); NULL: no model for the source, the line rules alone"},
	{Name: "boilerplate_sequence", Type: lake.Long, Doc: "the corpus.boilerplate snapshot the text was cut with; NULL when the filter does not learn boilerplate or no source has been learned yet"},
	{Name: "language", Type: lake.String, Doc: "the text's language, detected (ISO 639-1, e.g. en); NULL when undetermined"},
	{Name: "prefilter_sequence", Type: lake.Long, Doc: "the prefiltered snapshot the article's decision was read from"},
	{Name: "raw_sequence", Type: lake.Long, Doc: "the corpus.raw snapshot the article was read from"},
	{Name: "compressed_at", Type: lake.TimestampTz, Doc: "when the compress run wrote the row"},
	{Name: "run_id", Type: lake.String, Doc: "the compress run that wrote the row"},
}

// oracleCallsSchema is <filter>.oracle_calls'.
var oracleCallsSchema = lake.Schema{
	{Name: "cache_key", Type: lake.String, Required: true, Distinct: true, Doc: "sha256 of oracle kind, model, rendered prompt, schema, temperature, max tokens"},
	{Name: "id", Type: lake.String, Distinct: true, Doc: "the article the call was about"},
	{Name: "oracle", Type: lake.String, Doc: "the oracle kind: gemini, openai or keywords"},
	{Name: "model", Type: lake.String, Doc: "the oracle's model, e.g. gemini-2.5-flash"},
	{Name: "prompt_sha256", Type: lake.String, Distinct: true, Doc: "sha256 of the rendered prompt sent"},
	{Name: "status", Type: lake.String, Required: true, Doc: "ok or failed"},
	{Name: "error_class", Type: lake.String, Doc: "for a failure: rate_limited, server_error, timeout, auth, quota, bad_request, invalid or connection"},
	{Name: "http_status", Type: lake.Int, Doc: "the HTTP status of the last attempt (0 when none came back)"},
	{Name: "error", Type: lake.String, Doc: "for a failure: the error message"},
	{Name: "response", Type: lake.String, Distinct: true, Doc: "the raw response text"},
	{Name: "tokens_in", Type: lake.Long, Doc: "prompt tokens billed"},
	{Name: "tokens_out", Type: lake.Long, Doc: "response tokens billed"},
	{Name: "cost_usd", Type: lake.Double, Doc: "the call's cost in US dollars at the model's list price"},
	{Name: "latency_ms", Type: lake.Long, Doc: "milliseconds from request to response"},
	{Name: "attempt", Type: lake.Int, Doc: "the try this row records (retries of rate limits, server errors and timeouts count up)"},
	{Name: "temperature", Type: lake.Double, Doc: "sampling temperature sent"},
	{Name: "max_tokens", Type: lake.Int, Doc: "response token limit sent"},
	{Name: "called_at", Type: lake.TimestampTz, Doc: "when the call was made"},
	{Name: "run_id", Type: lake.String, Doc: "the label run that made the call"},
}

// splitsSchema is <filter>.splits'.
var splitsSchema = lake.Schema{
	{Name: "id", Type: lake.String, Required: true, Distinct: true, Doc: "the article (a labeled id)"},
	{Name: "split", Type: lake.String, Required: true, Doc: "train, val, test, or excluded (see note)"},
	{Name: "stratum", Type: lake.String, Doc: "tier, or score bin, the article was stratified by"},
	{Name: "dup_group", Type: lake.String, Doc: "duplicate group (its smallest id); the article's own id when it has no duplicate"},
	{Name: "seed", Type: lake.Long, Doc: "seed of the run that first assigned the article"},
	{Name: "balanced_out", Type: lake.Bool, Doc: "a training article left out by --balance"},
	{Name: "note", Type: lake.String, Doc: "why an article is excluded, or has no label in the labels read"},
	{Name: "assigned_run_id", Type: lake.String, Doc: "run that first assigned the article: it never moves after"},
	{Name: "labels_sequence", Type: lake.Long, Doc: "the labels snapshot this split was made from"},
	{Name: "split_at", Type: lake.TimestampTz, Doc: "when the split run wrote the row"},
	{Name: "run_id", Type: lake.String, Doc: "the split run that wrote the row"},
}

// modelsSchema is <filter>.models'.
var modelsSchema = lake.Schema{
	{Name: "id", Type: lake.String, Required: true, Doc: "the model id, e.g. linear-20261126-183000-3fa2"},
	{Name: "backend", Type: lake.String, Required: true, Doc: "linear or lora"},
	{Name: "base_model", Type: lake.String, Doc: "lora: the base model path or hub id"},
	{Name: "params", Type: lake.String, Doc: "every hyperparameter, JSON"},
	{Name: "dimensions", Type: lake.StringList, Doc: "the outputs, in order"},
	{Name: "labels_sequence", Type: lake.Long, Doc: "the labels snapshot trained on"},
	{Name: "splits_sequence", Type: lake.Long, Doc: "the split snapshot trained (train) and selected (val) on"},
	{Name: "splits_snapshot_id", Type: lake.Long, Doc: "the Iceberg snapshot id of that split snapshot"},
	{Name: "compressed_sequence", Type: lake.Long, Doc: "the compressed snapshot the training texts came from"},
	{Name: "filter_sha256", Type: lake.String, Doc: "hash of the filter package the model was trained for"},
	{Name: "artifact", Type: lake.String, Doc: "folder of the model files, relative to the lake root"},
	{Name: "train_rows", Type: lake.Long, Doc: "articles trained on"},
	{Name: "val_rows", Type: lake.Long, Doc: "articles the validation MAE is over"},
	{Name: "val_mae", Type: lake.Double, Doc: "validation MAE, mean over dimensions"},
	{Name: "val_mae_per_dimension", Type: lake.DoubleList, Doc: "validation MAE of each dimension, in the order of dimensions"},
	{Name: "baseline_val_mae", Type: lake.Double, Doc: "validation MAE of predicting the training mean"},
	{Name: "seconds", Type: lake.Double, Doc: "training time in seconds"},
	{Name: "trained_at", Type: lake.TimestampTz, Doc: "when training finished"},
	{Name: "run_id", Type: lake.String, Doc: "the train run that made the model"},
	{Name: "calibration", Type: lake.String, Doc: "the calibration fitted on the validation predictions, saved as calibration.json in artifact: method and the file's sha256 (e.g. isotonic:v1 sha256:…); NULL for none"},
	{Name: "calibrated_val_mae", Type: lake.Double, Doc: "validation MAE after calibration, mean over dimensions (in-sample: fitted on those articles)"},
	{Name: "calibrated_val_mae_per_dimension", Type: lake.DoubleList, Doc: "calibrated validation MAE of each dimension, in the order of dimensions"},
}

// evaluationsSchema is <filter>.evaluations': every run appends one row per
// (model, split, dimension) and one per (model, split) with dimension
// '_tiers'. Rows of one run share run_id; a metric that does not apply to a
// row is null.
var evaluationsSchema = lake.Schema{
	{Name: "model", Type: lake.String, Required: true, Doc: "model id (a row of <filter>.models)"},
	{Name: "split", Type: lake.String, Required: true, Doc: "test, val, train, or all; for distill cv, fold1..foldK (one fold's articles) and cv (the folds pooled)"},
	{Name: "dimension", Type: lake.String, Required: true, Doc: "a filter dimension; overall (the overall score); _all (every score of every dimension pooled); _tiers (tier metrics); _tier:<tier> (recall@k and NDCG@k counting that tier and those above it as relevant)"},
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
	{Name: "k", Type: lake.Long, Doc: "_tiers, _tier:<tier>: the k of recall_at_k and ndcg_at_k"},
	{Name: "relevant", Type: lake.Long, Doc: "_tiers: articles in the oracle's tiers above the bottom one; _tier:<tier>: in that tier or above"},
	{Name: "recall_at_k", Type: lake.Double, Doc: "_tiers, _tier:<tier>: share of the relevant articles among the k predicted highest"},
	{Name: "threshold_tier", Type: lake.String, Doc: "_tiers: the lowest tier above the bottom one; _tier:<tier>: the tier"},
	{Name: "threshold", Type: lake.Double, Doc: "_tiers: its min_score"},
	{Name: "precision", Type: lake.Double, Doc: "_tiers: of the articles predicted at or above threshold, the share the oracle put there"},
	{Name: "recall", Type: lake.Double, Doc: "_tiers: of the articles the oracle put at or above threshold, the share predicted there"},
	{Name: "confusion", Type: lake.String, Doc: `_tiers: JSON list of {"oracle", "predicted", "articles"}, every pair of tiers from the highest`},
	{Name: "combine", Type: lake.String, Doc: "how several labels of an article were combined"},
	{Name: "predictions_sequence", Type: lake.Long, Doc: "the predictions snapshot read"},
	{Name: "labels_sequence", Type: lake.Long, Doc: "the labels snapshot read"},
	{Name: "splits_sequence", Type: lake.Long, Doc: "the splits snapshot read (null when there is none)"},
	{Name: "evaluated_at", Type: lake.TimestampTz, Doc: "when the eval run ran: the rows of one run share it"},
	{Name: "run_id", Type: lake.String, Doc: "the eval run that wrote the row"},
	{Name: "train_median", Type: lake.Double, Doc: "the median baseline's prediction: the median oracle score of the training articles (for MAE the best constant)"},
	{Name: "median_baseline_mae", Type: lake.Double, Doc: "MAE of predicting train_median for every article"},
	{Name: "ndcg_at_k", Type: lake.Double, Doc: "_tiers and _tier:<tier>: NDCG@k of the ranking by predicted overall score, the oracle's overall score as gain (sql/eval/tier_ranking.sql); on _tiers for the lowest tier above the bottom one"},
	{Name: "threshold_sweep", Type: lake.String, Doc: `_tiers: JSON list of {"threshold", "predicted", "true_positives", "precision", "recall", "f1"}, overall thresholds 0 to 10 by 0.25 and each tier's min_score, against the oracle's "at or above threshold_tier"`},
	{Name: "best_f1_threshold", Type: lake.Double, Doc: "_tiers: the swept threshold with the highest F1 (the highest of ties)"},
	{Name: "best_f1", Type: lake.Double, Doc: "_tiers: the F1 at best_f1_threshold"},
	{Name: "recall_target", Type: lake.Double, Doc: "_tiers: the recall the sweep was asked to reach (eval --recall-target)"},
	{Name: "recall_target_threshold", Type: lake.Double, Doc: "_tiers: the highest swept threshold whose recall reaches recall_target (null when none does)"},
	{Name: "calibrated", Type: lake.Bool, Doc: "true: the metrics of the model's calibrated scores; false: of its raw student output (the row of a model without calibration)"},
	{Name: "folds", Type: lake.Long, Doc: "cross-validation's pooled row (split cv): the folds whose metrics it averages; each metric is their mean, n their sum"},
	{Name: "mae_sd", Type: lake.Double, Doc: "split cv: the sample standard deviation of mae over the folds"},
	{Name: "spearman_sd", Type: lake.Double, Doc: "split cv: the sample standard deviation of spearman over the folds"},
	{Name: "recall_at_k_sd", Type: lake.Double, Doc: "split cv: the sample standard deviation of recall_at_k over the folds"},
	{Name: "weighted_mae", Type: lake.Double, Doc: "MAE with each article weighted by 1/inclusion of its label (label --select): estimates the MAE over the pool the selections drew from (sum w*|err| / sum w); null when every article weighs the same"},
	{Name: "effective_n", Type: lake.Double, Doc: "the effective sample size of weighted_mae, (sum w)^2 / sum w^2 (scores, as n counts them)"},
}

// labelsSchema has one score and one evidence column per dimension.
func labelsSchema(f *filters.Filter) lake.Schema {
	s := lake.Schema{{Name: "id", Type: lake.String, Required: true, Distinct: true, Doc: "the article (a compressed id)"}}
	for _, d := range f.Dimensions {
		s = append(s, lake.Column{Name: d.Name, Type: lake.Double, Doc: dimensionDoc("the oracle's 0-10 score", d)})
	}
	for _, d := range f.Dimensions {
		s = append(s, lake.Column{Name: d.Name + "_evidence", Type: lake.String, Distinct: true,
			Doc: "the oracle's evidence for its " + d.Name + " score"})
	}
	return append(s, lake.Schema{
		{Name: "content_type", Type: lake.String, Doc: "the kind of article, as the oracle names it (e.g. news, press_release)"},
		{Name: "overall", Type: lake.Double, Doc: "weighted mean after gatekeepers, computed from filter.yaml"},
		{Name: "gatekeeper_applied", Type: lake.Bool, Doc: "true when a gatekeeper dimension capped overall"},
		{Name: "tier", Type: lake.String, Doc: "computed from filter.yaml, never taken from the oracle"},
		{Name: "oracle", Type: lake.String, Doc: "gemini, openai, keywords or import"},
		{Name: "model", Type: lake.String, Doc: "the oracle's model, e.g. gemini-2.5-flash"},
		{Name: "prompt_sha256", Type: lake.String, Distinct: true, Doc: "sha256 of the rendered prompt the oracle saw"},
		{Name: "input_sha256", Type: lake.String, Distinct: true, Doc: "text_sha256 of the compressed text the oracle saw"},
		{Name: "cache_key", Type: lake.String, Distinct: true, Doc: "the oracle_calls row the answer came from"},
		{Name: "tokens_in", Type: lake.Long, Doc: "prompt tokens billed (0 when cached)"},
		{Name: "tokens_out", Type: lake.Long, Doc: "response tokens billed (0 when cached)"},
		{Name: "cost_usd", Type: lake.Double, Doc: "what this label cost in US dollars (0 when cached)"},
		{Name: "latency_ms", Type: lake.Long, Doc: "milliseconds the oracle took to answer"},
		{Name: "attempts", Type: lake.Int, Doc: "tries the call needed"},
		{Name: "cached", Type: lake.Bool, Doc: "answer taken from oracle_calls: no call, no cost"},
		{Name: "imported", Type: lake.Bool, Doc: "made elsewhere: its oracle saw another rendering of the text"},
		{Name: "repaired", Type: lake.String, Doc: "what was fixed to parse the answer (code_fence, trailing_comma, …)"},
		{Name: "filter_sha256", Type: lake.String, Doc: "hash of the filter package the label was made with"},
		{Name: "labeled_at", Type: lake.TimestampTz, Doc: "when the label was written"},
		{Name: "run_id", Type: lake.String, Doc: "the label run (or label import) that wrote the row"},
		{Name: "repeat", Type: lake.Int, Doc: "which ask of the same oracle, model and prompt this is (label --repeat K: 0 to K-1; 0 or NULL: the first)"},
		{Name: "extra", Type: lake.String, Distinct: true, Doc: "an imported label's other analysis fields, as a JSON object (label import keeps what it does not map to a column)"},
		{Name: "thinking_budget", Type: lake.Int, Doc: "the thinking-token budget the request set (oracle.thinking_budget; NULL: none was set)"},
		{Name: "evidence_mode", Type: lake.String, Doc: "how much evidence the prompt asked for: full, short or none (oracle.evidence; NULL on rows from before the setting, or imported: full)"},
		{Name: "settings", Type: lake.String, Doc: "the answer settings beyond the defaults that set the label's cache key apart, e.g. evidence=none thinking_budget=1024 (NULL or empty: the defaults); distill agree and --combine oracle=... name such an oracle KIND/MODEL SETTINGS"},
		{Name: "selected_by", Type: lake.String, Doc: "how the article was chosen for labeling: the label --select strategy (random, similar, uncertain, upper, diverse), sample (label --sample), or NULL (every article, in id order)"},
		{Name: "inclusion", Type: lake.Double, Doc: "the article's inclusion probability under that choice, within the articles it was chosen from: 1 for a ranked pick (similar, uncertain, upper), a stratum's share over its size for a draw (random, diverse, sample); eval weights by its inverse"},
		{Name: "selection", Type: lake.String, Doc: "the label --select run's plan, e.g. upper:0.5,random:0.5 budget=200 seed=42 model=linear-... (lineage of the choice)"},
	}...)
}

// predictionsSchema has one score column per dimension.
func predictionsSchema(f *filters.Filter) lake.Schema {
	s := lake.Schema{
		{Name: "id", Type: lake.String, Required: true, Distinct: true, Doc: "the article (a compressed id)"},
		{Name: "model", Type: lake.String, Required: true, Doc: "the student that predicted (a row of <filter>.models)"},
	}
	for _, d := range f.Dimensions {
		s = append(s, lake.Column{Name: d.Name, Type: lake.Double, Doc: dimensionDoc("the student's predicted 0-10 score (calibrated when the model has a calibration: see calibration)", d)})
	}
	s = append(s, lake.Schema{
		{Name: "overall", Type: lake.Double, Doc: "weighted, after gatekeepers, from filter.yaml"},
		{Name: "gatekeeper_applied", Type: lake.Bool, Doc: "true when a gatekeeper dimension capped overall"},
		{Name: "tier", Type: lake.String, Doc: "computed from overall and filter.yaml's tiers"},
		{Name: "split", Type: lake.String, Doc: "the article's split when predicted, if it had one"},
		{Name: "predicted_at", Type: lake.TimestampTz, Doc: "when the predict run wrote the row"},
		{Name: "run_id", Type: lake.String, Doc: "the predict run that wrote the row"},
		{Name: "fold", Type: lake.Int, Doc: "cross-validation (a cv-... model): the fold that held the article out and that its fold model predicted; null for a trained model's predictions"},
	}...)
	return append(s, calibrationColumns(f)...)
}

// calibrationColumns are the student's uncalibrated answer beside the
// calibrated one in the score columns, overall and tier (all NULL for a
// model without calibration: then the score columns are the raw answer).
func calibrationColumns(f *filters.Filter) lake.Schema {
	var s lake.Schema
	for _, d := range f.Dimensions {
		s = append(s, lake.Column{Name: d.Name + "_raw", Type: lake.Double, Doc: "the student's uncalibrated 0-10 score for " + d.Name + " (the dimension column holds the calibrated one); NULL when the model has no calibration"})
	}
	return append(s, lake.Schema{
		{Name: "overall_raw", Type: lake.Double, Doc: "overall from the uncalibrated scores; NULL when the model has no calibration"},
		{Name: "tier_raw", Type: lake.String, Doc: "tier from overall_raw; NULL when the model has no calibration"},
		{Name: "calibration", Type: lake.String, Doc: "the calibration applied to the score columns, e.g. isotonic:v1 sha256:…; NULL for none"},
	}...)
}

// dimensionDoc is the meaning of dimension d's score column: what scored
// it, then the dimension's own description from filter.yaml.
func dimensionDoc(what string, d filters.Dimension) string {
	if d.Description == "" {
		return what + " for " + d.Name
	}
	return what + " for " + d.Name + ": " + d.Description
}

// SignatureMethod names compress's MinHash signature (stored in the
// compressed table's method column and in its schema's doc), so that a
// future change is visible. Package compress computes it.
const SignatureMethod = "minhash:v2:32x16bit:8bands:5w"

// modelTagsSchema is <filter>.model_tags': every tag run appends a row, and
// a tag names the model of its newest row (distill model tags lists them).
var modelTagsSchema = lake.Schema{
	{Name: "tag", Type: lake.String, Required: true, Doc: "the tag, e.g. production: the model the gate compares a candidate against"},
	{Name: "model", Type: lake.String, Required: true, Doc: "the model tagged (a row of <filter>.models)"},
	{Name: "note", Type: lake.String, Doc: "why, in the tagger's words (--note)"},
	{Name: "models_sequence", Type: lake.Long, Doc: "the models snapshot the model was found in"},
	{Name: "tagged_at", Type: lake.TimestampTz, Doc: "when the tag was recorded: the newest row of a tag wins"},
	{Name: "run_id", Type: lake.String, Doc: "the model tag run that wrote the row"},
}

// gatesSchema is <filter>.gates': every gate run appends one row per model
// compared against (a model, or each baseline) and metric, all carrying
// the run's verdict. Differences are candidate minus the other.
var gatesSchema = lake.Schema{
	{Name: "candidate", Type: lake.String, Required: true, Doc: "the model gated (a row of <filter>.models)"},
	{Name: "against", Type: lake.String, Required: true, Doc: "what it was compared with: a model id (the production tag's, or --against), or baseline:mean / baseline:median (the training articles' mean or median)"},
	{Name: "metric", Type: lake.String, Required: true, Doc: "mae (mean over dimensions), overall_mae, recall, precision, f1 (at threshold), spearman (of overall)"},
	{Name: "better", Type: lake.String, Doc: "lower or higher: which side of the difference is better"},
	{Name: "candidate_value", Type: lake.Double, Doc: "the candidate's metric on the articles gated"},
	{Name: "against_value", Type: lake.Double, Doc: "the other's metric on the same articles; null where it is undefined (a constant's spearman)"},
	{Name: "difference", Type: lake.Double, Doc: "candidate_value minus against_value"},
	{Name: "difference_low", Type: lake.Double, Doc: "lower end of the paired bootstrap 95% interval of the difference"},
	{Name: "difference_high", Type: lake.Double, Doc: "upper end of that interval"},
	{Name: "judged", Type: lake.Bool, Doc: "the metric decides the verdict: MAE and overall MAE always, recall against a model (a constant's recall is all or nothing)"},
	{Name: "regression", Type: lake.Bool, Doc: "judged, and the interval lies wholly on the worse side"},
	{Name: "verdict", Type: lake.String, Doc: "the run's verdict, on every row of it: pass, or regression (distill gate then exits 3)"},
	{Name: "split", Type: lake.String, Doc: "the split whose oracle-labeled articles were scored (test unless --split)"},
	{Name: "articles", Type: lake.Long, Doc: "articles scored, by both sides"},
	{Name: "threshold", Type: lake.Double, Doc: "the overall score at or above which an article counts as relevant (recall, precision, f1)"},
	{Name: "bootstrap", Type: lake.Long, Doc: "bootstrap resamples of the articles"},
	{Name: "seed", Type: lake.Long, Doc: "seed of the resampling: the same seed gives the same interval"},
	{Name: "oracles", Type: lake.String, Doc: "the oracle/model of the labels scored against, e.g. gemini/gemini-2.5-flash"},
	{Name: "predictions_sequence", Type: lake.Long, Doc: "the predictions snapshot read"},
	{Name: "labels_sequence", Type: lake.Long, Doc: "the labels snapshot read"},
	{Name: "splits_sequence", Type: lake.Long, Doc: "the splits snapshot read"},
	{Name: "models_sequence", Type: lake.Long, Doc: "the models snapshot read"},
	{Name: "model_tags_sequence", Type: lake.Long, Doc: "the model_tags snapshot the production model was read from (null when none)"},
	{Name: "gated_at", Type: lake.TimestampTz, Doc: "when the gate ran: the rows of one run share it"},
	{Name: "run_id", Type: lake.String, Doc: "the gate run that wrote the rows"},
}

// agreementsSchema is <filter>.agreements': every agree run appends one row
// per pair of oracles (or one oracle's repeats) and dimension, and one per
// dimension for Krippendorff's alpha across every oracle and ask.
var agreementsSchema = lake.Schema{
	{Name: "kind", Type: lake.String, Required: true, Doc: "oracle (an oracle's labels: articles and asks), pair (two oracles), self (one oracle's repeated asks: its noise) or all (alpha across every oracle and ask)"},
	{Name: "oracle_a", Type: lake.String, Required: true, Doc: "an oracle, named KIND/MODEL as its labels' oracle and model (e.g. gemini/gemini-2.5-flash); * on an all row"},
	{Name: "oracle_b", Type: lake.String, Required: true, Doc: "the other oracle (oracle_a on a self row; * on an all row): offsets are b minus a"},
	{Name: "dimension", Type: lake.String, Required: true, Doc: "a dimension of the filter, overall (the overall score) or tier (the tier's level: 0 the lowest); * on an oracle row"},
	{Name: "articles", Type: lake.Long, Doc: "articles both scored (all: articles with at least two asks)"},
	{Name: "ask_pairs", Type: lake.Long, Doc: "pairs of single asks compared (every ask of a with every ask of b; self: every two asks)"},
	{Name: "asks", Type: lake.Long, Doc: "oracle: its labels; all: the asks alpha is computed over"},
	{Name: "mae", Type: lake.Double, Doc: "mean absolute difference of single asks, each article weighing the same"},
	{Name: "mean_offset", Type: lake.Double, Doc: "mean difference b minus a: b's bias against a (offset in agree --json)"},
	{Name: "offset_low", Type: lake.Double, Doc: "lower end of the offset's 95% interval (normal, from the articles' spread)"},
	{Name: "offset_high", Type: lake.Double, Doc: "upper end of the offset's 95% interval"},
	{Name: "mae_after_offset", Type: lake.Double, Doc: "mean absolute difference once the offset is removed"},
	{Name: "spearman", Type: lake.Double, Doc: "rank correlation of the first ask of each side (self: asks 0 and 1); null when a side is constant"},
	{Name: "alpha", Type: lake.Double, Doc: "Krippendorff's alpha, interval metric, over every ask of the oracles compared (all: of every oracle)"},
	{Name: "tier_agreement", Type: lake.Double, Doc: "tier rows: the share of ask pairs that put the article in one tier"},
	{Name: "labels_sequence", Type: lake.Long, Doc: "the labels snapshot read"},
	{Name: "agreed_at", Type: lake.TimestampTz, Doc: "when the agree run ran: the rows of one run share it"},
	{Name: "run_id", Type: lake.String, Doc: "the agree run that wrote the rows"},
}

// embeddingsSchema is <filter>.embeddings': one vector per compressed
// article and encoder.
var embeddingsSchema = lake.Schema{
	{Name: "id", Type: lake.String, Distinct: true, Required: true, Doc: "the article (as in <filter>.compressed)"},
	{Name: "encoder", Type: lake.String, Required: true, Doc: "the encoder, KIND-DIM@DIGEST (e.g. hashed-256@1a2b3c4d): its files are under the lake's encoders/<filter>/<encoder>/"},
	{Name: "text_sha256", Type: lake.String, Distinct: true, Doc: "sha256 of the compressed text embedded: when compress rebuilds an article's text, the next embed run embeds the new text beside the old row, and readers take the row of the current text"},
	{Name: "vector", Type: lake.FloatList, Required: true, Doc: "the unit vector (L2 norm 1; all zeros for a text with no known word): cast to FLOAT[dim] for array_cosine_similarity"},
	{Name: "dim", Type: lake.Int, Doc: "the vector's length"},
	{Name: "embedded_at", Type: lake.TimestampTz, Doc: "when the embed run wrote the row"},
	{Name: "run_id", Type: lake.String, Doc: "the embed run that wrote the row"},
}

// scoredColumns are the columns a production or shadow score shares: the
// prefilter's verdict, the student's scores (NULL when the prefilter
// rejected the article), overall, tier and the text scored.
func scoredColumns(f *filters.Filter, who string) lake.Schema {
	s := lake.Schema{
		{Name: "passed", Type: lake.Bool, Doc: "whether the article passed the prefilter of the model's stored filter package"},
		{Name: "reason", Type: lake.String, Doc: "the prefilter's reason: passed, or why not (excluded:<category>, too_short:<n>_chars, language:<code>, no_domain_keywords, …)"},
	}
	for _, d := range f.Dimensions {
		s = append(s, lake.Column{Name: d.Name, Type: lake.Double, Doc: dimensionDoc(who+"'s 0-10 score (calibrated when the model has a calibration); NULL when the prefilter rejected the article", d)})
	}
	s = append(s, lake.Schema{
		{Name: "overall", Type: lake.Double, Doc: "weighted, after gatekeepers, from the stored filter.yaml; NULL when the prefilter rejected the article"},
		{Name: "gatekeeper_applied", Type: lake.Bool, Doc: "true when a gatekeeper dimension capped overall"},
		{Name: "tier", Type: lake.String, Doc: "from overall and the stored filter.yaml's tiers; NULL when the prefilter rejected the article"},
		{Name: "text_sha256", Type: lake.String, Distinct: true, Doc: "sha256 of the compressed text the student read (as compress would write it)"},
		{Name: "filter_sha256", Type: lake.String, Doc: "the filter package (stored with the model) that prefiltered, compressed and tiered the article"},
	}...)
	return append(s, calibrationColumns(f)...)
}

func scoresSchema(f *filters.Filter) lake.Schema {
	s := lake.Schema{
		{Name: "id", Type: lake.String, Required: true, Distinct: true, Doc: "the article (corpus.raw's id)"},
		{Name: "model", Type: lake.String, Required: true, Doc: "the production model (a row of <filter>.models) when the article was scored"},
	}
	s = append(s, scoredColumns(f, "the production model")...)
	return append(s, lake.Schema{
		{Name: "stage", Type: lake.String, Doc: "which student gave the scores: model (the production model) or cascade (the cascade's first stage, which did not forward the article); NULL when the prefilter rejected it"},
		{Name: "cascade_model", Type: lake.String, Doc: "the cascade's first-stage model when a cascade was on; NULL otherwise"},
		{Name: "scored_at", Type: lake.TimestampTz, Doc: "when the score run wrote the row"},
		{Name: "run_id", Type: lake.String, Doc: "the score run that wrote the row"},
	}...)
}

func shadowSchema(f *filters.Filter) lake.Schema {
	s := lake.Schema{
		{Name: "id", Type: lake.String, Required: true, Distinct: true, Doc: "the article (corpus.raw's id), one production scored"},
		{Name: "model", Type: lake.String, Required: true, Doc: "the candidate model (a row of <filter>.models)"},
		{Name: "production", Type: lake.String, Doc: "the production model whose scores the candidate ran beside"},
	}
	s = append(s, scoredColumns(f, "the candidate")...)
	return append(s, lake.Schema{
		{Name: "shadowed_at", Type: lake.TimestampTz, Doc: "when the shadow run wrote the row"},
		{Name: "run_id", Type: lake.String, Doc: "the shadow run that wrote the row"},
	}...)
}

// cascadesSchema is <filter>.cascades': one row per distill cascade run.
var cascadesSchema = lake.Schema{
	{Name: "first_model", Type: lake.String, Required: true, Doc: "the first stage: a cheap (linear) model whose overall score decides which articles the production model sees"},
	{Name: "threshold", Type: lake.Double, Doc: "articles whose first-stage overall is below it are not forwarded (they keep the first stage's scores, stage cascade in scores)"},
	{Name: "target_recall", Type: lake.Double, Doc: "the share of positives (articles the oracle put above the lowest tier) the threshold was chosen to keep, on val"},
	{Name: "val_articles", Type: lake.Long, Doc: "validation articles with a first-stage prediction and a label"},
	{Name: "val_positives", Type: lake.Long, Doc: "of them, those the oracle put above the lowest tier"},
	{Name: "val_recall", Type: lake.Double, Doc: "share of val positives forwarded"},
	{Name: "val_forwarded", Type: lake.Double, Doc: "share of val articles forwarded"},
	{Name: "test_articles", Type: lake.Long, Doc: "test articles with a first-stage prediction and a label"},
	{Name: "test_positives", Type: lake.Long, Doc: "of them, those the oracle put above the lowest tier"},
	{Name: "test_recall", Type: lake.Double, Doc: "share of test positives forwarded: the recall the cascade keeps on articles it was not tuned on"},
	{Name: "test_forwarded", Type: lake.Double, Doc: "share of test articles forwarded: the share of the production model's work left"},
	{Name: "enabled", Type: lake.Bool, Doc: "whether distill score uses this cascade (the newest row wins; distill cascade --enable or --disable)"},
	{Name: "measured_at", Type: lake.TimestampTz, Doc: "when the cascade run ran"},
	{Name: "run_id", Type: lake.String, Doc: "the cascade run that wrote the row"},
}

// driftSchema is <filter>.drift's: every drift run appends one row per
// baseline the newest window of scores is compared with and per dimension
// (each of the filter's, overall, tier and pass_rate).
var driftSchema = lake.Schema{
	{Name: "baseline", Type: lake.String, Required: true, Doc: "what the newest window is compared with: train (the train split's articles: the student's own scores of them when it predicted them all, else the oracle's labels, combined as train combines them; see train_source), earlier (every earlier window pooled) or an earlier window's name (shown, not judged)"},
	{Name: "dimension", Type: lake.String, Required: true, Doc: "a dimension of the filter, overall, tier (the tier distribution) or pass_rate (the share of scored articles the prefilter passed)"},
	{Name: "recent_window", Type: lake.String, Doc: "the newest window compared: an ISO week (2026-W05), a day (2026-01-30) or a score run id, after --by"},
	{Name: "by", Type: lake.String, Doc: "how articles were put in windows: week or day (of the article's published date, else of when it was scored), or run (the score run)"},
	{Name: "recent_articles", Type: lake.Long, Doc: "articles of the newest window in the comparison (passed ones for a dimension, overall and tier; every scored one for pass_rate)"},
	{Name: "baseline_articles", Type: lake.Long, Doc: "articles of the baseline in the comparison"},
	{Name: "psi", Type: lake.Double, Doc: "population stability index of the newest window against the baseline: sum over bins of (r - b) * ln(r / b), the shares r and b floored at 0.001; bins are the 11 whole scores 0-10 (each score rounded) or the filter's tiers; NULL for pass_rate"},
	{Name: "recent_value", Type: lake.Double, Doc: "the newest window's mean score (a dimension, overall), share in the upper tiers (tier: every tier but the lowest), or pass rate"},
	{Name: "baseline_value", Type: lake.Double, Doc: "the baseline's, alike"},
	{Name: "change", Type: lake.Double, Doc: "recent_value minus baseline_value"},
	{Name: "flagged", Type: lake.Bool, Doc: "moved beyond a threshold: psi above threshold and above chance, or pass_rate's change beyond pass_threshold; never when either side has fewer than min_articles, nor against one earlier window of several"},
	{Name: "note", Type: lake.String, Doc: "why a row is not judged or not flagged (a side below min_articles, one earlier window of several, a PSI within chance), or empty"},
	{Name: "threshold", Type: lake.Double, Doc: "the PSI above which a row is flagged (0.2 unless --threshold)"},
	{Name: "pass_threshold", Type: lake.Double, Doc: "the pass-rate change (a share, either way) beyond which pass_rate is flagged"},
	{Name: "min_articles", Type: lake.Long, Doc: "the fewest articles on each side for a row to be judged"},
	{Name: "dated_by_scored_at", Type: lake.Long, Doc: "articles of the newest window put there by when they were scored: their published date missing, unreadable or after that (week and day)"},
	{Name: "scores_sequence", Type: lake.Long, Doc: "the scores snapshot read"},
	{Name: "labels_sequence", Type: lake.Long, Doc: "the labels snapshot read (null without labels)"},
	{Name: "splits_sequence", Type: lake.Long, Doc: "the splits snapshot read (null without splits)"},
	{Name: "raw_sequence", Type: lake.Long, Doc: "the corpus.raw snapshot the published dates were read from"},
	{Name: "drifted_at", Type: lake.TimestampTz, Doc: "when the drift run ran: the rows of one run share it"},
	{Name: "run_id", Type: lake.String, Doc: "the drift run that wrote the rows"},
	{Name: "chance", Type: lake.Double, Doc: "the PSI reached 1 time in 1000 with nothing moved, for these article counts and bins: (1/n + 1/m) times chi-square's 99.9th percentile at (bins - 1) degrees of freedom; a row is flagged only above it"},
	{Name: "train_source", Type: lake.String, Doc: "what the train baseline's scores were: predictions:MODEL (the model that scored the newest window, on the train split's articles) or labels"},
	{Name: "predictions_sequence", Type: lake.Long, Doc: "the predictions snapshot the train baseline was read from (null when it was the labels)"},
}
