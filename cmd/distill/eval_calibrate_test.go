package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
)

func TestCLI_EvalCalibrateFile(t *testing.T) {
	ref := testutil.Shared(t, "reference/llm-distillery/filters/investment_risk/v5/benchmarks/test_set_predictions.json")
	out, _ := distill(t, 0, "eval", "--predictions-file", ref, "--calibrate", "--seed", "2", "--k", "50")
	if !strings.Contains(out, "fitted on 510 articles (seed 2)") || !strings.Contains(out, "RECALL@50") || !strings.Contains(out, "retail_actionability") {
		t.Errorf("eval --calibrate:\n%s", out)
	}
	out, _ = distill(t, 0, "eval", "--predictions-file", ref, "--calibrate", "--json")
	var res struct {
		MAE           float64 `json:"mae"`
		CalibratedMAE float64 `json:"calibrated_mae"`
		Seed          int     `json:"seed"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Seed != 1 || res.CalibratedMAE >= res.MAE {
		t.Errorf("eval --calibrate --json: %+v, %v\n%s", res, err, out)
	}
	for _, args := range [][]string{{"eval", "--calibrate"}, {"eval", "--predictions-file", ref, "--seed", "3"}} {
		if _, errOut := distill(t, 1, args...); !strings.Contains(errOut, "--calibrate (and its --seed) go with --predictions-file") {
			t.Errorf("%v: %s", args, errOut)
		}
	}
}
