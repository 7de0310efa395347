package evaluate

import "github.com/distillery/distillery/lake"

// Schema is the schema of <filter>.evaluations: every run appends one row per
// (model, split, dimension) and one per (model, split) with dimension
// '_tiers'. Rows of one run share run_id; a metric that does not apply to a
// row is null.
var Schema = lake.Schema{
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
