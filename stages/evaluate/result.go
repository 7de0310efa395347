package evaluate

import (
	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/spec"
)

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
	// WeightedMAE weighs each article by 1/inclusion of its label (label
	// --select): it estimates the MAE over the whole pool the selections
	// drew from. EffectiveN is its effective sample size, (Σw)²/Σw². Both
	// are nil when every article weighs the same (then it is MAE).
	WeightedMAE *float64 `json:"weighted_mae,omitempty"`
	EffectiveN  *float64 `json:"effective_n,omitempty"`
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
	// NDCGAtK is NDCG@K of the ranking by predicted overall score, the
	// oracle's overall score as gain (sql/eval/tier_ranking.sql).
	NDCGAtK *float64 `json:"ndcg_at_k"`
	// Upper are recall@k and NDCG@k for each tier above the bottom one, from
	// the highest: relevant are the articles of that tier or a higher one.
	Upper []TierRanking `json:"upper_tiers"`
}

// TierRanking is how well the ranking by predicted overall score finds the
// articles the oracle put in one tier or above.
type TierRanking struct {
	Tier      string   `json:"tier"`
	MinScore  float64  `json:"min_score"`
	K         int64    `json:"k"`
	Relevant  int64    `json:"relevant"`
	Found     int64    `json:"found"`
	RecallAtK *float64 `json:"recall_at_k"`
	NDCGAtK   *float64 `json:"ndcg_at_k"`
}

// Sweep is precision, recall and F1 of "predicted overall >= threshold"
// against the oracle's "at or above DecisionTier", over thresholds 0 to 10
// by 0.25 and the tiers' min_scores (sql/eval/threshold_sweep.sql).
type Sweep struct {
	DecisionTier      string       `json:"decision_tier"`
	DecisionThreshold float64      `json:"decision_threshold"`
	Positives         int64        `json:"positives"`
	Points            []SweepPoint `json:"points"`
	// BestF1 is the point of highest F1; ForRecallTarget the highest
	// threshold whose recall reaches RecallTarget. Nil when none qualifies.
	BestF1          *SweepPoint `json:"best_f1"`
	RecallTarget    float64     `json:"recall_target"`
	ForRecallTarget *SweepPoint `json:"for_recall_target"`
}

// SweepPoint is the sweep at one threshold: Predicted articles reach it,
// TruePositives of them are positive. Precision, Recall and F1 are nil when
// undefined (nothing predicted; nothing positive).
type SweepPoint struct {
	Threshold     float64  `json:"threshold"`
	Precision     *float64 `json:"precision"`
	Recall        *float64 `json:"recall"`
	F1            *float64 `json:"f1"`
	Predicted     int64    `json:"predicted"`
	TruePositives int64    `json:"true_positives"`
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
	// ThresholdSweep is nil when the filter has no tier above the bottom one.
	ThresholdSweep *Sweep `json:"threshold_sweep"`
	// Calibration names the calibration the model's predictions carry; then
	// the figures above are those of the raw student output and Calibrated
	// holds the same figures for the calibrated scores.
	Calibration string `json:"calibration,omitempty"`
	Calibrated  *Model `json:"calibrated,omitempty"`
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
	// NoiseFloor is the oracle's own self-MAE and its MAE against another
	// oracle, where the labels have repeats or a second oracle (nil: none).
	NoiseFloor *curate.Floor `json:"noise_floor,omitempty"`
	// Cascade is the last measured cascade's recall and forwarded share on
	// these articles (nil: none).
	Cascade *Cascade `json:"cascade,omitempty"`
	// Weighting says what the weighted MAE stands for; nil when no label
	// was chosen by label --select or --sample.
	Weighting *Weighting `json:"weighting,omitempty"`
}

// Weighting is how the labels weigh when each article counts 1/inclusion
// of its label (sql/eval/weighting.sql).
type Weighting struct {
	// Labeled articles, Selected of them chosen by a selection or sample;
	// Pool is the sum of their weights: the articles they stand for.
	Labeled  int64   `json:"labeled"`
	Selected int64   `json:"selected"`
	Pool     float64 `json:"pool"`
	// Evaluated articles, their effective sample size, and whether their
	// weights differ (else the weighted MAE is the MAE and is not shown).
	Evaluated  int64   `json:"evaluated"`
	EffectiveN float64 `json:"effective_n"`
	Weighted   bool    `json:"weighted"`
	// Unrepresented evaluated articles were chosen by a selection with no
	// random part (Plans): nothing stands for what it passed over.
	Unrepresented int64    `json:"unrepresented"`
	Plans         []string `json:"plans,omitempty"`
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
