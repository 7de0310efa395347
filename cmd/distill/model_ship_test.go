package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/pipelinetest"
	"github.com/distillery/distillery/internal/testutil"
)

// distill model export writes a folder verify passes, refuses to write over
// one, and verify fails naming a swapped file; describe reports the model,
// its tags, calibration, evaluations and files, as text and JSON.
func TestCLI_ModelExportVerifyDescribe(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	filter := filepath.Join(testutil.RepoRoot(t), "filters/uplifting/v1")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, pipelinetest.Sample))
	for _, stage := range [][]string{{"prefilter"}, {"compress"}, {"label", "--oracle", "keywords"}, {"split"}, {"train"}, {"train", "--lambda", "64"}, {"predict", "--split", "all"}} {
		distill(t, 0, append([]string{"--lake", lk, stage[0], "--filter", filter}, stage[1:]...)...)
	}
	var list []struct {
		ID string `json:"id"`
	}
	out, _ := distill(t, 0, "--lake", lk, "model", "list", "--filter", filter, "--json")
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 {
		t.Fatalf("model list: %v %s", err, out)
	}
	newest, older := list[0].ID, list[1].ID
	distill(t, 0, "--lake", lk, "predict", "--filter", filter, "--split", "test", "--model", older)
	distill(t, 0, "--lake", lk, "eval", "--filter", filter, "--model", newest)
	distill(t, 0, "--lake", lk, "model", "tag", "production", newest, "--filter", filter)

	dir := filepath.Join(t.TempDir(), "shipped")
	out, _ = distill(t, 0, "--lake", lk, "model", "export", newest, "-o", dir)
	if !strings.Contains(out, "export: "+newest+" (linear) of uplifting/v1 -> "+dir) {
		t.Errorf("export output:\n%s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "model", "verify", dir, "--sample", "50")
	if !strings.Contains(out, "ok (model "+newest+")") || !strings.Contains(out, "50 articles predicted again, 0 values off") {
		t.Errorf("verify output:\n%s", out)
	}
	_, errOut := distill(t, 1, "--lake", lk, "model", "export", older, "-o", dir)
	if !strings.Contains(errOut, "not empty") || !strings.Contains(errOut, "--force") {
		t.Errorf("export over a folder: %s", errOut)
	}
	other := filepath.Join(t.TempDir(), "other")
	distill(t, 0, "--lake", lk, "model", "export", older, "-o", other, "--json")
	swapped, err := os.ReadFile(filepath.Join(other, "weights", "linear.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "weights", "linear.json"), swapped, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut = distill(t, 1, "--lake", lk, "model", "verify", dir, "--json")
	var res struct {
		OK       bool `json:"ok"`
		Problems []struct {
			Path string `json:"path"`
		} `json:"problems"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.OK || len(res.Problems) != 1 || res.Problems[0].Path != "weights/linear.json" {
		t.Errorf("verify --json of a swapped file: %v %s", err, out)
	}
	if !strings.Contains(errOut, "weights/linear.json") {
		t.Errorf("verify's error names no file: %s", errOut)
	}

	out, _ = distill(t, 0, "--lake", lk, "model", "describe", newest)
	for _, want := range []string{"model " + newest + " (linear)", "calibration: isotonic:v1 sha256:", "tags:        production", "evaluations (the latest run per split):", "model.gob", "filter/filter.yaml"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	out, _ = distill(t, 0, "--lake", lk, "model", "describe", "latest", "--filter", filter, "--json")
	var d struct {
		Model struct {
			ID string `json:"id"`
		} `json:"model"`
		Tags        []string          `json:"tags"`
		Evaluations []json.RawMessage `json:"evaluations"`
		Files       []json.RawMessage `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Model.ID != newest || len(d.Tags) != 1 || len(d.Evaluations) == 0 || len(d.Files) == 0 {
		t.Errorf("describe --json: %v %s", err, out)
	}
	_, errOut = distill(t, 1, "--lake", lk, "model", "describe", "no-such-model")
	if !strings.Contains(errOut, "no such model") {
		t.Errorf("describe of an unknown model: %s", errOut)
	}
}
