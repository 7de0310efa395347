package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
)

// TestCLI_BenchIngestReadsBack: `bench ingest` (what make bench-scale runs,
// at 1500 MB) prints the rows it read back from the lake beside the rows it
// ingested, and fails when they differ.
func TestCLI_BenchIngestReadsBack(t *testing.T) {
	t.Setenv("DISTILL_TEST_MAIN", "1") // the bench's child processes are this test binary
	out, _ := distill(t, 0, "bench", "ingest", "--generate-mb", "1", "--runs", "1", "--skip-duckdb", "--json")
	var rep benchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bench --json printed %q: %v", out, err)
	}
	if rep.Generated == 0 || rep.Ingested != rep.Generated || rep.ReadBack != rep.Ingested {
		t.Errorf("generated %d, ingested %d, read back %d: want all equal and > 0", rep.Generated, rep.Ingested, rep.ReadBack)
	}
	out, _ = distill(t, 0, "bench", "ingest", "--generate-mb", "1", "--runs", "1", "--skip-duckdb")
	if !strings.Contains(out, "read back by SELECT count(*) FROM corpus.raw") {
		t.Errorf("bench output does not print the rows read back:\n%s", out)
	}

	// A count that does not match what the lake reads fails.
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/ag_news/test.csv"))
	if _, _, err := readBack(context.Background(), lk, []byte(`{"rows_out": 7600}`)); err != nil {
		t.Errorf("read back of a matching count: %v", err)
	}
	if _, read, err := readBack(context.Background(), lk, []byte(`{"rows_out": 15200}`)); !errors.Is(err, errReadBack) || read != 7600 {
		t.Errorf("read back %d with err %v, want 7600 and errReadBack", read, err)
	}
}
