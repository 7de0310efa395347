package evaluate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/evaluate"
)

const reference = "reference/llm-distillery/filters/investment_risk/v5/benchmarks/"

// The reference project's investment_risk v5 student: the MAE it reports
// (0.4844, every dimension of every test article) comes out of the same SQL
// that evaluates a lake, and so do its RMSE and per-dimension figures.
func TestRunFile_InvestmentRiskReference(t *testing.T) {
	path := testutil.Shared(t, reference+"test_set_predictions.json")
	res, err := evaluate.RunFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%.4f", res.MAE); got != "0.4844" {
		t.Errorf("MAE = %s, want 0.4844", got)
	}
	data, err := os.ReadFile(testutil.Shared(t, reference+"test_set_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reported struct {
		Examples int                `json:"test_examples"`
		Metrics  map[string]float64 `json:"metrics"`
	}
	if err := json.Unmarshal(data, &reported); err != nil {
		t.Fatal(err)
	}
	// The reference computed in float32: agree to 1e-5.
	close := func(name string, got float64) {
		if want, ok := reported.Metrics[name]; !ok || math.Abs(got-want) > 1e-5 {
			t.Errorf("%s = %.6f, reported %.6f", name, got, want)
		}
	}
	close("mae", res.MAE)
	close("rmse", res.RMSE)
	if res.Articles != reported.Examples || len(res.PerDimension) != 6 || res.PerDimension[0].Dimension != "risk_domain_type" {
		t.Fatalf("res = %+v", res)
	}
	for _, d := range res.PerDimension {
		close(d.Dimension+"_mae", d.MAE)
		close(d.Dimension+"_rmse", d.RMSE)
		if d.N != 1021 || d.Spearman == nil || *d.Spearman <= 0 || *d.Spearman > 1 || d.BaselineMAE != nil {
			t.Errorf("%s: %+v", d.Dimension, d)
		}
	}
}

// Hand-computed: errors a: +1 0 -1 -3, b: 0 0 0 0.
func TestEvaluateFile_Known(t *testing.T) {
	f := &evaluate.File{
		Dimensions:  []string{"a", "b"},
		Predictions: [][]float64{{2, 5}, {2, 5}, {2, 7}, {1, 9}},
		Labels:      [][]float64{{1, 5}, {2, 5}, {3, 7}, {4, 9}},
		ArticleIDs:  []string{"w", "x", "y", "z"},
	}
	res, err := evaluate.EvaluateFile(context.Background(), "known", f)
	if err != nil {
		t.Fatal(err)
	}
	// Pooled over 8 scores: |errors| 1 0 1 3 0 0 0 0.
	if !near(res.MAE, 5.0/8) || !near(res.RMSE, math.Sqrt(11.0/8)) || !near(res.Bias, -3.0/8) {
		t.Errorf("pooled: MAE %g RMSE %g bias %g", res.MAE, res.RMSE, res.Bias)
	}
	a, b := res.PerDimension[0], res.PerDimension[1]
	// a: oracle ranks 1 2 3 4; predictions 2 2 2 1 rank 3 3 3 1 (ties averaged):
	// corr((1,2,3,4), (3,3,3,1)) = -3/√(5·3) = -0.7746.
	checkMetrics(t, a, 4, 5.0/4, math.Sqrt(11.0/4), -3.0/4, -3/math.Sqrt(15), null, null)
	// b: the same scores on both sides, ties included.
	checkMetrics(t, b, 4, 0, 0, 0, 1, null, null)
}

func TestParseFile_Malformed(t *testing.T) {
	for _, tc := range []struct {
		name, json, want string
	}{
		{"not an object", `[1, 2]`, "bad.json: not a JSON object"},
		{"no labels", `{"predictions": [[1]], "dimension_names": ["a"]}`, "bad.json: labels: missing"},
		{"no names", `{"predictions": [[1]], "labels": [[1]], "dimension_names": []}`, "dimension_names: is empty"},
		{"name not a string", `{"predictions": [[1]], "labels": [[1]], "dimension_names": [3]}`, "dimension_names[0]: 3 is not a name"},
		{"duplicate name", `{"predictions": [[1, 2]], "labels": [[1, 2]], "dimension_names": ["a", "a"]}`, `dimension_names[1]: "a" is a duplicate`},
		{"reserved name", `{"predictions": [[1]], "labels": [[1]], "dimension_names": ["overall"]}`, `dimension_names[0]: "overall" is reserved`},
		{"predictions not rows", `{"predictions": {"a": 1}, "labels": [[1]], "dimension_names": ["a"]}`, "predictions: want a list of rows"},
		{"no rows", `{"predictions": [], "labels": [], "dimension_names": ["a"]}`, "predictions: has no rows"},
		{"row not a list", `{"predictions": [[1], 2], "labels": [[1], [2]], "dimension_names": ["a"]}`, "predictions[1]: 2 is not a list of numbers"},
		{"short row", `{"predictions": [[1, 2], [3]], "labels": [[1, 2], [3, 4]], "dimension_names": ["a", "b"]}`, "predictions[1]: 1 value, want 2"},
		{"long label row", `{"predictions": [[1, 2]], "labels": [[1, 2, 3]], "dimension_names": ["a", "b"]}`, "labels[0]: 3 values, want 2"},
		{"string value", `{"predictions": [[1, "2"]], "labels": [[1, 2]], "dimension_names": ["a", "b"]}`, `predictions[0][1]: "2" is not a number`},
		{"null value", `{"predictions": [[1, 2]], "labels": [[1, null]], "dimension_names": ["a", "b"]}`, "labels[0][1]: null is not a number"},
		{"bool value", `{"predictions": [[true]], "labels": [[1]], "dimension_names": ["a"]}`, "predictions[0][0]: true is not a number"},
		{"mismatched rows", `{"predictions": [[1], [2]], "labels": [[1]], "dimension_names": ["a"]}`, "labels: 1 row, but predictions has 2"},
		{"mismatched ids", `{"predictions": [[1], [2]], "labels": [[1], [2]], "dimension_names": ["a"], "article_ids": ["x"]}`, "article_ids: 1 id, but predictions has 2 rows"},
		{"bad id", `{"predictions": [[1]], "labels": [[1]], "dimension_names": ["a"], "article_ids": [[1]]}`, "article_ids[0]: [1] is not an id"},
		{"NaN", `{"predictions": [[NaN]], "labels": [[1]], "dimension_names": ["a"]}`, "not a JSON object"},
	} {
		_, err := evaluate.ParseFile("bad.json", []byte(tc.json))
		var fe *evaluate.FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	f, err := evaluate.ParseFile("ok.json", []byte(`{"predictions": [[1.5e0, -2]], "labels": [[1, 2]], "dimension_names": ["a", "b"], "article_ids": [17]}`))
	if err != nil || f.ArticleIDs[0] != "17" || f.Predictions[0][0] != 1.5 || f.Predictions[0][1] != -2 {
		t.Errorf("valid file: %+v %v", f, err)
	}
	path := filepath.Join(t.TempDir(), "missing.json")
	if _, err := evaluate.RunFile(context.Background(), path); err == nil || !strings.Contains(err.Error(), "missing.json: cannot read") {
		t.Errorf("missing file: %v", err)
	}
}
