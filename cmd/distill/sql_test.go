package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
)

// TestCLI_SQLCannotWriteTheLake: `distill sql` refuses a COPY over the
// catalog or a data file (it used to destroy the lake or change its counts)
// and keeps reading the lake's Parquet and writing outside it.
func TestCLI_SQLCannotWriteTheLake(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", "--source", "ag_news", testutil.Shared(t, "corpus/ag_news/test.csv"))
	files, err := filepath.Glob(filepath.Join(lk, "warehouse", "corpus.db", "raw", "data", "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("data files of corpus.raw: %v %v", files, err)
	}
	for _, q := range []string{
		"COPY (SELECT 1) TO '" + filepath.Join(lk, "catalog.db") + "'",
		"COPY (SELECT * FROM corpus.raw LIMIT 10) TO '" + files[0] + "' (FORMAT parquet)",
	} {
		_, stderr := distill(t, 1, "--lake", lk, "sql", q)
		if !strings.Contains(stderr, "query refused") || !strings.Contains(stderr, "inside the lake") {
			t.Errorf("%s: stderr %q does not say it was refused for writing inside the lake", q, stderr)
		}
	}
	out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", "SELECT count(*) FROM corpus.raw")
	if strings.TrimSpace(out) != "count_star()\n7600" {
		t.Errorf("after the refused writes, corpus.raw counts %q, want 7600", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "sql", "--format", "csv", "SELECT count(*) AS n FROM read_parquet('"+filepath.Join(lk, "warehouse", "corpus.db", "raw", "data", "*.parquet")+"')")
	if strings.TrimSpace(out) != "n\n7600" {
		t.Errorf("reading the lake's Parquet directly: %q, want 7600", out)
	}
	ids := filepath.Join(t.TempDir(), "ids.csv")
	distill(t, 0, "--lake", lk, "sql", "COPY (SELECT id FROM corpus.raw) TO '"+ids+"' (HEADER)")
	b, err := os.ReadFile(ids)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 7601 {
		t.Errorf("COPY outside the lake wrote %d lines, want 7601", n)
	}
}
