package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
)

// An oracle that cannot be reached: label stops after ten failed articles,
// prints the first error's text and exits 1, and so does `distill run`, at
// its label stage. No output holds the key.
func TestCLI_LabelUnreachableOracle(t *testing.T) {
	f := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	src := testutil.Shared(t, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz")
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", src)
	distill(t, 0, "--lake", lk, "prefilter", "--filter", f)
	distill(t, 0, "--lake", lk, "compress", "--filter", f)
	const key = "AIza-SECRET-unreachable-0123456789"
	t.Setenv("GEMINI_API_KEY", key)
	url := testutil.ClosedPort(t)
	out, stderr := distill(t, 1, "--lake", lk, "label", "--filter", f, "--oracle", "gemini", "--base-url", url)
	if !strings.Contains(stderr, "connection refused") || !strings.Contains(out, "failed by class: connection") ||
		!strings.Contains(out, "stopped early: failing") || strings.Contains(out+stderr, key) {
		t.Errorf("label against a closed port:\nstdout %s\nstderr %s", out, stderr)
	}
	// The failed calls are in oracle_calls; no label was: no labels table.
	out, _ = distill(t, 0, "--lake", lk, "tables")
	if strings.Contains(out, ".labels ") || !strings.Contains(out, ".oracle_calls ") {
		t.Errorf("tables after a failed first label run:\n%s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "sql", "--filter", f, "--format", "csv", "SELECT count(*) FROM oracle_calls WHERE error_class = 'connection'")
	if n := strings.TrimSpace(strings.TrimPrefix(out, "count_star()\n")); n == "0" || len(n) > 2 {
		t.Errorf("%s failed calls recorded: want the ten or so before the stop", n)
	}

	dir := t.TempDir()
	yaml := fmt.Sprintf("lake: %s\nsources:\n  - path: %s\nfilter: %s\noracle:\n  kind: gemini\n  base_url: %s\nreport:\n  skip: true\n", lk, src, f, url)
	p := filepath.Join(dir, "pipeline.yaml")
	os.WriteFile(p, []byte(yaml), 0o644)
	out, stderr = distill(t, 1, "run", p)
	if !strings.Contains(stderr, "stage label failed") || !strings.Contains(stderr, "connection refused") || strings.Contains(out, "split") {
		t.Errorf("distill run against a closed port:\nstdout %s\nstderr %s", out, stderr)
	}
	// The next run that works makes the labels table as a first run would.
	distill(t, 0, "--lake", lk, "label", "--filter", f)
	out, _ = distill(t, 0, "--lake", lk, "sql", "--filter", f, "--format", "csv", "SELECT count(*) > 0 AS some FROM labels")
	if out != "some\ntrue\n" {
		t.Errorf("labels after the failed runs and a working one: %q", out)
	}
}

// A label import whose every record is rejected exits 1, with its rejects
// printed; one with some good records exits 0 and reports the rest.
func TestCLI_LabelImportRejected(t *testing.T) {
	fdir := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	flt, err := filters.Load(fdir)
	if err != nil {
		t.Fatal(err)
	}
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"id\":\"a\",\"title\":\"t\",\"content\":\"c\"}\nnot json\n"), 0o644)
	out, stderr := distill(t, 1, "--lake", lk, "label", "import", "--filter", fdir, bad)
	if !strings.Contains(out, "2 rejected") || !strings.Contains(stderr, "every record was rejected") {
		t.Errorf("fully rejected import:\nstdout %s\nstderr %s", out, stderr)
	}
	analysis := map[string]any{}
	for _, d := range flt.Dimensions {
		analysis[d.Name] = map[string]any{"score": 5, "evidence": "e"}
	}
	good, _ := json.Marshal(map[string]any{"id": "g1", "title": "t", "content": "some content", flt.Name + "_analysis": analysis})
	mixed := filepath.Join(dir, "mixed.jsonl")
	os.WriteFile(mixed, append(append(good, '\n'), "not json\n"...), 0o644)
	out, _ = distill(t, 0, "--lake", lk, "label", "import", "--filter", fdir, mixed)
	if !strings.Contains(out, "1 label imported") || !strings.Contains(out, "1 rejected") || !strings.Contains(out, "not a JSON object") {
		t.Errorf("partly rejected import: %s", out)
	}
}
