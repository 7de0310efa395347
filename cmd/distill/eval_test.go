package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/evaluate/evaltest"
)

func TestCLI_Eval(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	l, err := lake.Open(context.Background(), lk)
	if err != nil {
		t.Fatal(err)
	}
	evaltest.Known(t, l)
	l.Close()
	f := evaltest.FilterDir(t)

	out, _ := distill(t, 0, "--lake", lk, "eval", "--filter", f, "--model", "m1")
	for _, want := range []string{
		"model m1 on 4 test articles (of 4 labeled)",
		"-> eval_tiny.evaluations@1",
		"DIMENSION", "MEAN", "MEDIAN", "SPEARMAN",
		"overall         4  1.250  2.000  1.750",
		"depth", "1.250", "2.000", "+0.250", "0.800",
		"all dimensions  8",
		"accuracy 75.0% (3 of 4)",
		"ORACLE \\ PREDICTED",
		"recall@3: 100.0% (3 of the 3 articles above low are among the 3 predicted highest)",
		"at the mid threshold (overall >= 4): precision 75.0% (3 of 4 predicted there), recall 100.0% (3 of 3)",
		"by tier: high and above recall@1 100.0%, NDCG 1.000; mid and above recall@3 100.0%, NDCG 0.990",
		"best F1 at 5 (precision 100.0%, recall 100.0%, F1 1.000); recall >= 90.0% up to 5",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^\s+low\s+0\s+1\s+0\s*$`).MatchString(out) {
		t.Errorf("confusion row of low (predicted mid once):\n%s", out)
	}

	out, _ = distill(t, 0, "--lake", lk, "eval", "--filter", f, "--model", "m1", "--compare", "m2", "--json", "--recall-target", "0.5")
	var res struct {
		Models []struct {
			Model string `json:"model"`
			All   struct {
				MAE float64 `json:"mae"`
			} `json:"all_dimensions"`
			Tiers struct {
				Accuracy float64 `json:"accuracy"`
				Upper    []struct {
					Tier string  `json:"tier"`
					NDCG float64 `json:"ndcg_at_k"`
				} `json:"upper_tiers"`
			} `json:"tiers"`
			Sweep struct {
				Points []struct {
					Threshold float64 `json:"threshold"`
				} `json:"points"`
				ForTarget struct {
					Threshold float64 `json:"threshold"`
				} `json:"for_recall_target"`
				Target float64 `json:"recall_target"`
			} `json:"threshold_sweep"`
			Calibrated *struct{} `json:"calibrated"`
		} `json:"models"`
		Snapshot int      `json:"snapshot"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, out)
	}
	if len(res.Models) != 2 || res.Models[1].Model != "m2" || res.Models[1].All.MAE != 0 || res.Models[1].Tiers.Accuracy != 1 || res.Snapshot != 2 || len(res.Warnings) != 2 {
		t.Errorf("eval --compare --json: %+v", res)
	}
	// On t1-t3, m1's positives (mid and above) are predicted 7.5 and 5: recall 0.5 holds up to 7.5.
	if m := res.Models[0]; len(m.Tiers.Upper) != 2 || m.Tiers.Upper[1].Tier != "mid" || m.Tiers.Upper[1].NDCG < 0.99 ||
		len(m.Sweep.Points) != 41 || m.Sweep.Target != 0.5 || m.Sweep.ForTarget.Threshold != 7.5 || m.Calibrated != nil {
		t.Errorf("eval --json ranking and sweep of m1: %+v", m)
	}
	out, _ = distill(t, 0, "--lake", lk, "eval", "--filter", f, "--model", "m1", "--compare", "m2")
	for _, want := range []string{"model A = m1, B = m2, both on the 3 test articles both predicted", "MAE A", "SPEARMAN B", "tiers of A (m1)", "tiers of B (m2): accuracy 100.0% (3 of 3)", "warning: m2 predicted 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval --compare output lacks %q:\n%s", want, out)
		}
	}
	out, _ = distill(t, 0, "--lake", lk, "eval", "--filter", f, "--model", "m1", "--split", "val")
	if !strings.Contains(out, "on 1 val article ") || !strings.Contains(out, "was in train when predicted") {
		t.Errorf("eval --split val:\n%s", out)
	}
	n := testutil.QueryStrings(t, openLake(t, lk), "SELECT count(*)::VARCHAR FROM eval_tiny.evaluations")
	if n[0] != "42" { // 7 rows (5 and 2 tiers above the bottom), twice 14 (two models), 7
		t.Errorf("evaluations rows = %s, want 42", n[0])
	}

	// No --model (or --model latest): the filter's newest model.
	out, _ = distill(t, 0, "--lake", lk, "eval", "--filter", f, "--json")
	var latest struct{ Models []struct{ Model string } }
	if err := json.Unmarshal([]byte(out), &latest); err != nil || len(latest.Models) != 1 || latest.Models[0].Model != "m2" {
		t.Errorf("eval without --model: %v %s", err, out)
	}

	_, errOut := distill(t, 1, "--lake", lk, "eval", "--filter", f, "--model", "nope")
	if !strings.Contains(errOut, `no such model "nope"`) || !strings.Contains(errOut, "m1, m2") {
		t.Errorf("unknown model: %s", errOut)
	}
	_, errOut = distill(t, 1, "--lake", lk, "eval", "--filter", f, "--model", "m1", "--split", "holdout")
	if !strings.Contains(errOut, "holdout") {
		t.Errorf("bad split: %s", errOut)
	}
	_, errOut = distill(t, 1, "--lake", lk, "eval", "--model", "m1")
	if !strings.Contains(errOut, "--filter") {
		t.Errorf("no filter: %s", errOut)
	}
}

func openLake(t *testing.T, dir string) *lake.Lake {
	t.Helper()
	l, err := lake.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestCLI_EvalPredictionsFile(t *testing.T) {
	ref := testutil.Shared(t, "reference/llm-distillery/filters/investment_risk/v5/benchmarks/test_set_predictions.json")
	out, _ := distill(t, 0, "eval", "--predictions-file", ref)
	if !regexp.MustCompile(`(?m)^MAE\s+0\.4844\s`).MatchString(out) {
		t.Errorf("the reference MAE (0.4844) is not printed:\n%s", out)
	}
	for _, want := range []string{"1021 articles, 6 dimensions", "RMSE  0.9405", "risk_domain_type", "retail_actionability", "SPEARMAN"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _ = distill(t, 0, "eval", "--predictions-file", ref, "--json")
	var res struct {
		MAE float64 `json:"mae"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.MAE < 0.48435 || res.MAE >= 0.48445 {
		t.Errorf("--json mae %v (%v)", res.MAE, err)
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"predictions": [[1, 2], [3]], "labels": [[1, 2], [3, 4]], "dimension_names": ["a", "b"]}`), 0o644)
	_, errOut := distill(t, 1, "eval", "--predictions-file", bad)
	if !strings.Contains(errOut, "bad.json: predictions[1]: 1 value, want 2") || !strings.Contains(errOut, "hint:") {
		t.Errorf("malformed file: %s", errOut)
	}
	_, errOut = distill(t, 1, "eval", "--predictions-file", ref, "--model", "m1")
	if !strings.Contains(errOut, "drop --model") {
		t.Errorf("--predictions-file with --model: %s", errOut)
	}
}
