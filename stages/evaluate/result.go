package evaluate

import "github.com/distillery/distillery/spec"

// Metrics is how far one model's scores are from the oracle's on one
// dimension (or the overall score, or every dimension pooled).
type Metrics struct {
	Dimension string `json:"dimension"`
	// N is the number of scores compared: articles, or articles × dimensions
	// for every dimension pooled.
	N    int64   `json:"n"`
	MAE  float64 `json:"mae"`
	RMSE float64 `json:"rmse"`
	// Bias is the mean of prediction minus oracle: above 0, the model scores too high.
	Bias float64 `json:"bias"`
	// Spearman is the rank correlation; nil when either side is constant.
	Spearman *float64 `json:"spearman"`
	// TrainMean is what the baseline predicts for every article; the
	// baseline's errors follow. Nil without training articles (and for a
	// predictions file).
	TrainMean    *float64 `json:"train_mean"`
	BaselineMAE  *float64 `json:"baseline_mae"`
	BaselineRMSE *float64 `json:"baseline_rmse"`
	// TrainMedian is what the median baseline predicts, MedianBaselineMAE
	// its error: for MAE the best constant, which the mean is not.
	TrainMedian       *float64 `json:"train_median"`
	MedianBaselineMAE *float64 `json:"median_baseline_mae"`
}

// Tiers is how well one model puts articles in the oracle's tiers.
type Tiers struct {
	// Articles have a predicted overall score; Correct are in the oracle's tier.
	Articles int64    `json:"articles"`
	Correct  int64    `json:"correct"`
	Accuracy *float64 `json:"accuracy"`
	// Names are the filter's tiers from the highest; Confusion[i][j] counts
	// the articles of oracle tier i predicted in tier j.
	Names     []string  `json:"tiers"`
	Confusion [][]int64 `json:"confusion"`
	// K, Relevant (articles in the oracle's tiers above the bottom one), Found
	// (relevant among the k predicted highest) and RecallAtK = Found/Relevant.
	K         int64    `json:"k"`
	Relevant  int64    `json:"relevant"`
	Found     int64    `json:"found"`
	RecallAtK *float64 `json:"recall_at_k"`
	// Precision and recall at the threshold of the lowest tier above the bottom one.
	ThresholdTier  string   `json:"threshold_tier"`
	Threshold      float64  `json:"threshold"`
	TruePositives  int64    `json:"true_positives"`
	FalsePositives int64    `json:"false_positives"`
	FalseNegatives int64    `json:"false_negatives"`
	Precision      *float64 `json:"precision"`
	Recall         *float64 `json:"recall"`
}

// Model is one model's evaluation on one split.
type Model struct {
	Model    string `json:"model"`
	Split    string `json:"split"`
	Articles int64  `json:"articles"`
	// Dimensions are the filter's, in its order; Overall is the overall
	// score; All pools every score of every dimension (the reference
	// project's "MAE").
	Dimensions []Metrics `json:"dimensions"`
	Overall    Metrics   `json:"overall"`
	All        Metrics   `json:"all_dimensions"`
	Tiers      Tiers     `json:"tiers"`
}

// Result is an evaluation run. RowsIn is the labeled articles in scope
// (InScope), RowsOut the metric rows written; Table and Snapshot are where
// they went.
type Result struct {
	spec.Summary
	Filter  string `json:"filter"`
	Split   string `json:"split"`
	Combine string `json:"combine"`
	// The snapshots read, ns.table@N (Splits is empty when there is none).
	Predictions string `json:"predictions"`
	Labels      string `json:"labels"`
	Splits      string `json:"splits,omitempty"`
	ModelsTable string `json:"models_table"`
	// InScope is the number of labeled articles in the split evaluated.
	InScope int64   `json:"in_scope"`
	Models  []Model `json:"models"`
}

// FileResult is the evaluation of a predictions file.
type FileResult struct {
	File       string   `json:"file"`
	Articles   int      `json:"articles"`
	Dimensions []string `json:"dimension_names"`
	// MAE, RMSE and Bias pool every dimension of every article.
	MAE          float64   `json:"mae"`
	RMSE         float64   `json:"rmse"`
	Bias         float64   `json:"bias"`
	PerDimension []Metrics `json:"per_dimension"`
}
