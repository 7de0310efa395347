package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ingestFile writes lines as dir/articles.jsonl and ingests it into lake lk.
func ingestFile(t *testing.T, lk, dir string, lines ...string) string {
	t.Helper()
	p := filepath.Join(dir, "articles.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := distill(t, 0, "--lake", lk, "ingest", p)
	return out
}

// A snapshot's params are an object in `snapshots --json`, not a string of
// JSON to decode again; and `>` prints as itself, not \u003e.
func TestCLI_SnapshotsJSON(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	dir := filepath.Join(t.TempDir(), "a>b")
	os.Mkdir(dir, 0o755)
	ingestFile(t, lk, dir, `{"id":"a1","title":"Solar > coal","content":"Solar now costs less than coal."}`)
	out, _ := distill(t, 0, "--lake", lk, "snapshots", "--json", "corpus.raw")
	var snaps []struct {
		Params  any    `json:"params"`
		Command string `json:"command"`
	}
	if err := json.Unmarshal([]byte(out), &snaps); err != nil || len(snaps) == 0 {
		t.Fatalf("snapshots --json: %v\n%s", err, out)
	}
	if p, ok := snaps[0].Params.(map[string]any); !ok || p["rows"] != 1.0 {
		t.Errorf("params = %#v, want an object with rows 1", snaps[0].Params)
	}
	if strings.Contains(out, `\u003e`) || !strings.Contains(out, "a>b") {
		t.Errorf("snapshots --json escapes >:\n%s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "sql", "--format", "json", "SELECT title FROM corpus.raw")
	if !strings.Contains(out, `"title": "Solar > coal"`) {
		t.Errorf("sql --format json escapes >:\n%s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "lineage", "--json", "a1")
	if strings.Contains(out, `\u003e`) || !strings.Contains(out, "Solar > coal") {
		t.Errorf("lineage --json escapes >:\n%s", out)
	}
}

// Each run is one line a terminal shows whole; --wide and --json keep all.
func TestCLI_LogFitsTheTerminal(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	deep := filepath.Join(t.TempDir(), "a-folder-with-a-long-name", "and-another-one-below-it", "and-a-third")
	os.MkdirAll(deep, 0o755)
	ingestFile(t, lk, deep, `{"id":"a1","title":"Grid battery online","content":"A 100 MW battery entered service."}`)
	out, _ := distill(t, 0, "--lake", lk, "log")
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if n := len([]rune(l)); n > 160 {
			t.Errorf("log line of %d characters (want at most 160):\n%s", n, l)
		}
	}
	if !strings.Contains(out, "…") {
		t.Errorf("log does not say what it shortened:\n%s", out)
	}
	wide, _ := distill(t, 0, "--lake", lk, "log", "--wide")
	if !strings.Contains(wide, deep) || !strings.Contains(wide, `"strict":false`) {
		t.Errorf("log --wide lacks the full params:\n%s", wide)
	}
}

// A count of one is singular wherever a person reads it.
func TestCLI_IngestSaysOneDuplicate(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	a := `{"id":"a1","title":"Grid battery online","content":"A 100 MW battery entered service."}`
	out := ingestFile(t, lk, t.TempDir(), a, a)
	if !strings.Contains(out, "1 duplicate ") || strings.Contains(out, "1 duplicates") || !strings.Contains(out, "1 new row,") {
		t.Errorf("ingest summary:\n%s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "sql", "SELECT id FROM corpus.raw")
	if !strings.Contains(out, "(1 row)") {
		t.Errorf("sql footer:\n%s", out)
	}
}
