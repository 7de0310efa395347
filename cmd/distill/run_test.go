package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/sample"
	"github.com/distillery/distillery/internal/testutil"
)

// pipelineFile writes 300 sample articles and a pipeline.yaml reading them
// (with extra appended) into a new folder; it returns the file.
func pipelineFile(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	fh, err := os.Create(filepath.Join(dir, "news.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sample.Write(fh, 300, 5); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	flt := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	p := filepath.Join(dir, "pipeline.yaml")
	yaml := fmt.Sprintf("lake: lake\nsources:\n  - path: news.jsonl\nfilter: %s\nreport: {skip: true}\n%s", flt, extra)
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A file with several problems: all are reported in one go, and the lake
// is not made.
func TestRun_BadConfigWritesNothing(t *testing.T) {
	t.Setenv("GEMINI_API_KEY", "")
	p := pipelineFile(t, "oracle: {kind: gemini}\n")
	body, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(body), "path: news.jsonl", "path: nope.jsonl", 1)), 0o644)
	_, stderr := distill(t, 1, "run", p)
	for _, want := range []string{"nope.jsonl: no such file", "GEMINI_API_KEY", "nothing written"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(p), "lake")); !os.IsNotExist(err) {
		t.Errorf("a run with a bad file made the lake (%v)", err)
	}
}

// Under --json a failure is a JSON object on stdout: the error, the stage,
// the hint and the stages completed before it.
func TestRun_JSONErrorIsAnObject(t *testing.T) {
	py := filepath.Join(t.TempDir(), "python")
	script := "#!/bin/sh\n[ \"$1\" = -c ] && exit 0\necho 'the trainer broke' >&2\nexit 3\n"
	if err := os.WriteFile(py, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p := pipelineFile(t, "student: {backend: lora, python: "+py+"}\n")
	stdout, _ := distill(t, 1, "run", "--json", p)
	var got struct {
		Error  string           `json:"error"`
		Stage  string           `json:"stage"`
		Hint   string           `json:"hint"`
		Stages []map[string]any `json:"stages"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("run --json printed %q: %v", stdout, err)
	}
	if got.Stage != "train" || !strings.Contains(got.Error, "trainer") || !strings.Contains(got.Hint, "distill run") || len(got.Stages) != 5 {
		t.Errorf("run --json on a failure: %s", stdout)
	}
	if len(got.Stages) > 0 && got.Stages[0]["rows_out"] != 300.0 {
		t.Errorf("the ingest entry is not ingest's result: %v", got.Stages[0])
	}
	// A failed check is a JSON object too.
	bad := pipelineFile(t, "split: {stratify_by: nope}\n")
	stdout, _ = distill(t, 1, "run", "--json", bad)
	var check map[string]any
	if err := json.Unmarshal([]byte(stdout), &check); err != nil || !strings.Contains(fmt.Sprint(check["error"]), "stratify_by") || check["problems"] == nil {
		t.Errorf("run --json on a bad file printed %q (%v)", stdout, err)
	}
}

// --dry-run says what would run and why, and writes nothing; a stage's
// start line goes to stderr as it runs, its result to stdout.
func TestRun_DryRunAndProgress(t *testing.T) {
	p := pipelineFile(t, "")
	lk := filepath.Join(filepath.Dir(p), "lake")
	stdout, _ := distill(t, 0, "run", "--dry-run", p)
	for _, want := range []string{"1/10 ingest    run   the lake is created first", "reads news.jsonl; writes corpus.raw", "9/10 cv        skip  no cv.folds", "10/10 report    skip  report.skip"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the plan does not say %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(lk); !os.IsNotExist(err) {
		t.Fatalf("a dry run made the lake (%v)", err)
	}
	stdout, stderr := distill(t, 0, "run", p)
	if !strings.Contains(stderr, "[1/8] ingest ...") || !strings.Contains(stderr, "[8/8] eval ...") || strings.Contains(stdout, "[1/8]") {
		t.Errorf("start lines: stdout\n%s\nstderr\n%s", stdout, stderr)
	}
	stdout, _ = distill(t, 0, "run", "--dry-run", "--json", p)
	var pl struct {
		Steps []struct {
			Stage  string `json:"stage"`
			Runs   bool   `json:"runs"`
			Reason string `json:"reason"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(stdout), &pl); err != nil || len(pl.Steps) != 10 {
		t.Fatalf("run --dry-run --json printed %q (%v)", stdout, err)
	}
	for _, s := range pl.Steps[:8] {
		if s.Runs || !strings.Contains(s.Reason, "inputs unchanged since") {
			t.Errorf("after a run, the plan says %s: runs %v, %s", s.Stage, s.Runs, s.Reason)
		}
	}
}
