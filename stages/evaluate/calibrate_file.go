package evaluate

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/students/calibrate"
)

// DefaultCalibrationK is recall@k's k for CalibrateFile, the reference
// project's recall@20.
const DefaultCalibrationK = 20

// FileCalibration is what isotonic calibration does to a predictions
// file's student: maps fitted on a seed-chosen half of its articles, the
// other half scored raw and calibrated.
type FileCalibration struct {
	File   string `json:"file"`
	Method string `json:"method"`
	Seed   uint64 `json:"seed"`
	Fitted int    `json:"fitted_articles"`
	Scored int    `json:"scored_articles"`
	K      int    `json:"k"`
	// MAE and CalibratedMAE pool every dimension of every scored article.
	MAE           float64                `json:"mae"`
	CalibratedMAE float64                `json:"calibrated_mae"`
	PerDimension  []DimensionCalibration `json:"per_dimension"`
}

// DimensionCalibration is one dimension's figures on the scored half.
// RecallAtK is the share of the K articles the student scores highest
// (ties broken by article id, as sql/eval/recall_at_k.sql breaks them) that
// the oracle puts in its top K (every article scoring at least its K-th
// highest score): a monotone map changes it only where it makes scores
// equal.
type DimensionCalibration struct {
	Dimension           string   `json:"dimension"`
	MAE                 float64  `json:"mae"`
	CalibratedMAE       float64  `json:"calibrated_mae"`
	Bias                float64  `json:"bias"`
	CalibratedBias      float64  `json:"calibrated_bias"`
	Spearman            *float64 `json:"spearman"`
	CalibratedSpearman  *float64 `json:"calibrated_spearman"`
	RecallAtK           float64  `json:"recall_at_k"`
	CalibratedRecallAtK float64  `json:"calibrated_recall_at_k"`
	// Breakpoints is the size of the fitted map.
	Breakpoints int `json:"breakpoints"`
}

// CalibrateFile reads a predictions file, fits isotonic maps on half of
// its articles (chosen by seed) and scores the other half raw and
// calibrated with the SQL eval uses (EvaluateFile); k <= 0 is
// DefaultCalibrationK.
func CalibrateFile(ctx context.Context, path string, seed uint64, k int) (*FileCalibration, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	if k <= 0 {
		k = DefaultCalibrationK
	}
	order := rand.New(rand.NewPCG(seed, 16)).Perm(len(f.Predictions))
	fit, score := order[:len(order)/2], order[len(order)/2:]
	slices.Sort(score)
	if k > len(score) {
		return nil, &FileError{File: path, Msg: fmt.Sprintf("recall@%d needs at least %s to score; half of this file is %s", k, human.Plural(int64(k), "article"), human.Plural(int64(len(score)), "article"))}
	}
	cal, err := calibrate.FitAll(f.Dimensions, pick(f.Predictions, fit), pick(f.Labels, fit))
	if err != nil {
		return nil, &FileError{File: path, Msg: fmt.Sprintf("calibrate on %s: %v", human.Plural(int64(len(fit)), "article"), err)}
	}
	raw := &File{Dimensions: f.Dimensions, Predictions: pick(f.Predictions, score), Labels: pick(f.Labels, score)}
	for _, i := range score {
		raw.ArticleIDs = append(raw.ArticleIDs, f.ArticleIDs[i])
	}
	calibrated := *raw
	calibrated.Predictions = make([][]float64, len(raw.Predictions))
	for i, p := range raw.Predictions {
		calibrated.Predictions[i] = cal.Apply(p)
	}
	before, err := EvaluateFile(ctx, path, raw)
	if err != nil {
		return nil, err
	}
	after, err := EvaluateFile(ctx, path, &calibrated)
	if err != nil {
		return nil, err
	}
	res := &FileCalibration{File: path, Method: calibrate.Method, Seed: seed, Fitted: len(fit), Scored: len(score), K: k,
		MAE: before.MAE, CalibratedMAE: after.MAE}
	for d, name := range f.Dimensions {
		b, a := before.PerDimension[d], after.PerDimension[d]
		res.PerDimension = append(res.PerDimension, DimensionCalibration{Dimension: name, MAE: b.MAE, CalibratedMAE: a.MAE,
			Bias: b.Bias, CalibratedBias: a.Bias, Spearman: b.Spearman, CalibratedSpearman: a.Spearman,
			RecallAtK: recallAtK(raw, d, raw.Predictions, k), CalibratedRecallAtK: recallAtK(raw, d, calibrated.Predictions, k),
			Breakpoints: len(cal.Dimensions[d].X)})
	}
	return res, nil
}

// pick is the rows of m at idx, in that order.
func pick(m [][]float64, idx []int) [][]float64 {
	out := make([][]float64, len(idx))
	for i, j := range idx {
		out[i] = m[j]
	}
	return out
}

// recallAtK is the share of the k articles of f preds scores highest on
// dimension d (ties broken by article id) that the oracle scores at least
// as high as its k-th highest: the oracle's ties at that score all count,
// so no tie-break on its side decides what is relevant.
func recallAtK(f *File, d int, preds [][]float64, k int) float64 {
	oracle := make([]float64, len(f.Labels))
	for i, y := range f.Labels {
		oracle[i] = y[d]
	}
	slices.Sort(oracle)
	least := oracle[len(oracle)-k]
	idx := make([]int, len(preds))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Or(cmp.Compare(preds[b][d], preds[a][d]), cmp.Compare(f.ArticleIDs[a], f.ArticleIDs[b]))
	})
	found := 0
	for _, i := range idx[:k] {
		if f.Labels[i][d] >= least {
			found++
		}
	}
	return float64(found) / float64(k)
}

// Lines are the comparison as eval prints it: one row per dimension, raw
// then calibrated.
func (r *FileCalibration) Lines() []string {
	lines := []string{
		fmt.Sprintf("%s: %s maps fitted on %s (seed %d), scored on the other %s", r.File, r.Method,
			human.Plural(int64(r.Fitted), "article"), r.Seed, human.Plural(int64(r.Scored), "article")),
		fmt.Sprintf("MAE %.4f raw, %.4f calibrated (%+.1f%%, every dimension of every scored article)", r.MAE, r.CalibratedMAE, change(r.MAE, r.CalibratedMAE)),
		"",
		fmt.Sprintf("DIMENSION\tMAE\tCALIBRATED\tCHANGE\tRECALL@%d\tCALIBRATED\tBIAS\tCALIBRATED", r.K),
	}
	for _, d := range r.PerDimension {
		lines = append(lines, fmt.Sprintf("%s\t%.4f\t%.4f\t%+.1f%%\t%.2f\t%.2f\t%+.3f\t%+.3f", d.Dimension, d.MAE, d.CalibratedMAE,
			change(d.MAE, d.CalibratedMAE), d.RecallAtK, d.CalibratedRecallAtK, d.Bias, d.CalibratedBias))
	}
	return lines
}

// change is after against before, in percent.
func change(before, after float64) float64 {
	if before == 0 {
		return 0
	}
	return 100 * (after - before) / before
}
