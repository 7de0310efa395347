package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// distill train --backend embed on the demo's lake, then predict and eval
// with the model it made: every test article predicted, and the student
// beats predicting the training mean.
func TestCLI_EmbedTrainPredictEval(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	distill(t, 0, "demo", "--dir", dir)
	lk, flt := filepath.Join(dir, "lake"), filepath.Join(dir, "filters/sustainability_tech_deployment/v1")
	out, _ := distill(t, 0, "--lake", lk, "train", "--filter", flt, "--backend", "embed", "--sample-weight", "score:1", "--json")
	var tr struct {
		Model struct {
			ID      string  `json:"id"`
			Backend string  `json:"backend"`
			Params  string  `json:"params"`
			ValMAE  float64 `json:"val_mae"`
			BaseMAE float64 `json:"baseline_val_mae"`
		} `json:"model"`
	}
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("train --json: %v\n%s", err, out)
	}
	m := tr.Model
	if m.Backend != "embed" || !strings.Contains(m.Params, `"encoder":"hashed-256@`) || !strings.Contains(m.Params, `"sample_weight":"score:1"`) || m.ValMAE >= m.BaseMAE {
		t.Fatalf("train --backend embed: %+v", m)
	}
	out, _ = distill(t, 0, "--lake", lk, "predict", "--filter", flt, "--model", m.ID, "--json")
	var pr struct {
		Backend   string `json:"backend"`
		Predicted int64  `json:"predicted"`
	}
	if err := json.Unmarshal([]byte(out), &pr); err != nil || pr.Backend != "embed" || pr.Predicted == 0 {
		t.Fatalf("predict: %+v, %v\n%s", pr, err, out)
	}
	out, _ = distill(t, 0, "--lake", lk, "eval", "--filter", flt, "--model", m.ID, "--json")
	var ev struct {
		Models []struct {
			Model    string `json:"model"`
			Articles int64  `json:"articles"`
			All      struct {
				MAE         float64  `json:"mae"`
				BaselineMAE *float64 `json:"baseline_mae"`
			} `json:"all_dimensions"`
		} `json:"models"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil || len(ev.Models) != 1 {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	e := ev.Models[0]
	t.Logf("embed on the demo's test split: MAE %.3f over %d articles, training mean %v", e.All.MAE, e.Articles, *e.All.BaselineMAE)
	if e.Model != m.ID || e.Articles != pr.Predicted || e.All.BaselineMAE == nil || e.All.MAE >= *e.All.BaselineMAE {
		t.Errorf("eval: %+v", e)
	}
	// The help lists the backend.
	if out, _ := distill(t, 0, "train", "--help"); !strings.Contains(out, "or embed (") {
		t.Errorf("train --help does not list embed:\n%s", out)
	}
}
