package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
)

// describe works from the registry: before the lake exists it describes
// every table and says what creates it; after, it names the snapshot.
func TestCLI_Describe(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	out, _ := distill(t, 0, "--lake", lk, "describe", "corpus.raw")
	for _, want := range []string{"corpus.raw: one row per ingested article", "written by:   distill ingest PATH",
		"not created yet: run distill ingest PATH", "content_sha256  string        required", "when the ingest run wrote the row"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe corpus.raw lacks %q:\n%s", want, out)
		}
	}
	out, _ = distill(t, 0, "--lake", lk, "describe")
	if n := strings.Count(out, "not created yet"); n != len(spec.Tables) {
		t.Errorf("describe lists %d tables not created yet, want %d:\n%s", n, len(spec.Tables), out)
	}

	// A filter's table: its dimension columns, named after the filter's dimensions.
	flt := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	out, _ = distill(t, 0, "--lake", lk, "describe", "--filter", flt, "labels")
	for _, want := range []string{"sustainability_tech_deployment.labels: ", "deployment_stage_evidence", "the oracle's 0-10 score for deployment_stage: How far",
		"from:         sustainability_tech_deployment.compressed"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe --filter labels lacks %q:\n%s", want, out)
		}
	}
	// Without one, a placeholder says what the columns are.
	out, _ = distill(t, 0, "--lake", lk, "describe", "predictions")
	if !strings.Contains(out, "<dimension>  ") || !strings.Contains(out, "stands for each of the filter's dimensions") {
		t.Errorf("describe predictions without --filter:\n%s", out)
	}

	_, errOut := distill(t, 1, "--lake", lk, "describe", "lables")
	if !strings.Contains(errOut, `did you mean labels?`) {
		t.Errorf("describe lables: %s", errOut)
	}
	distill(t, 1, "--lake", lk, "describe", "corpus.labels")

	distill(t, 0, "init", "--lake", lk)
	ingestFile(t, lk, t.TempDir(), `{"id":"a1","title":"Grid battery online","content":"A 100 MW battery entered service."}`)
	out, _ = distill(t, 0, "--lake", lk, "describe", "--json", "raw")
	var d struct {
		Table  string `json:"table"`
		InLake []struct {
			Table          string
			Sequence, Rows int64
		} `json:"in_lake"`
		Columns []struct {
			Name, Meaning string
			Key           bool
		} `json:"columns"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("describe --json: %v\n%s", err, out)
	}
	if d.Table != "corpus.raw" || len(d.InLake) != 1 || d.InLake[0].Rows != 1 || d.InLake[0].Sequence != 1 {
		t.Errorf("describe --json raw: table %q in lake %+v, want corpus.raw@1 with 1 row", d.Table, d.InLake)
	}
	if len(d.Columns) == 0 || d.Columns[0].Name != "id" || !d.Columns[0].Key || d.Columns[0].Meaning == "" {
		t.Errorf("describe --json raw columns: %+v", d.Columns)
	}
	// JSON keeps <filter> as written, not \u003cfilter\u003e.
	out, _ = distill(t, 0, "--lake", lk, "describe", "--json", "labels")
	if !strings.Contains(out, `"table": "<filter>.labels"`) {
		t.Errorf("describe --json labels escapes angle brackets:\n%.300s", out)
	}
}
