package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// distill cv on the demo's lake: its pooled MAE, read back from
// <filter>.evaluations with distill sql, is the one it printed; each
// fold trained on the others; and report --split cv charts it.
func TestCLI_CVReadBackAndReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	distill(t, 0, "demo", "--dir", dir)
	lk, flt := filepath.Join(dir, "lake"), filepath.Join(dir, "filters/sustainability_tech_deployment/v1")
	out, _ := distill(t, 0, "--lake", lk, "cv", "--filter", flt, "--folds", "3", "--json")
	var res struct {
		Model   string `json:"model"`
		RowsIn  int64  `json:"rows_in"`
		RowsOut int64  `json:"rows_out"`
		Folds   []struct {
			Articles   int64 `json:"articles"`
			Train      int64 `json:"train"`
			Val        int64 `json:"val"`
			Iterations int   `json:"iterations"`
		} `json:"folds"`
		Pooled []struct {
			Calibrated bool    `json:"calibrated"`
			MAE        float64 `json:"mae"`
		} `json:"pooled"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("cv --json: %v\n%s", err, out)
	}
	if len(res.Folds) != 3 || len(res.Pooled) == 0 || res.RowsOut != res.RowsIn {
		t.Fatalf("cv --json: %d folds, %d pooled rows, %d in and %d out\n%s", len(res.Folds), len(res.Pooled), res.RowsIn, res.RowsOut, out)
	}
	var predicted int64
	for i, f := range res.Folds {
		predicted += f.Articles
		if f.Train+f.Val+f.Articles != res.RowsIn || f.Iterations == 0 {
			t.Errorf("fold %d: trained on %d, chose on %d, predicted %d of %d articles in %d iterations", i+1, f.Train, f.Val, f.Articles, res.RowsIn, f.Iterations)
		}
	}
	if predicted != res.RowsIn {
		t.Errorf("the folds predicted %d articles, %d were dealt", predicted, res.RowsIn)
	}
	for _, p := range res.Pooled {
		q := fmt.Sprintf("SELECT round(mae, 6) FROM sustainability_tech_deployment.evaluations WHERE model = '%s' AND split = 'cv' AND dimension = '_all' AND calibrated = %t", res.Model, p.Calibrated)
		got, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", q)
		if want := fmt.Sprintf("%.6f", p.MAE); !strings.Contains(got, strings.TrimRight(strings.TrimRight(want, "0"), ".")) {
			t.Errorf("calibrated=%t: cv printed MAE %s, distill sql reads back %q", p.Calibrated, want, got)
		}
	}
	page := filepath.Join(t.TempDir(), "cv.html")
	distill(t, 0, "--lake", lk, "report", "--filter", flt, "--split", "cv", "-o", page)
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), res.Model) || !strings.Contains(string(b), "out-of-fold predictions of cross-validation") {
		t.Errorf("report --split cv does not chart %s", res.Model)
	}
}
