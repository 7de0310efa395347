package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/lake/laketest"
)

// TestCLI_ForeignTables: tables another engine made in the lake's catalog.
// A format-version 1 table (no sequence numbers: all 0 before) lists, logs
// and resolves @N by commit order; a table with merge-on-read deletes
// compacts with the deletes applied and its delete files dropped (refused
// before).
func TestCLI_ForeignTables(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	e := laketest.Open(t, lk)
	e.CreateItems(t, "t.v1", map[string]string{"format-version": "1"})
	e.CreateItems(t, "t.mor", map[string]string{"write.delete.mode": "merge-on-read"})
	for i := 1; i <= 3; i++ {
		for _, name := range []string{"t.v1", "t.mor"} {
			var rows []laketest.Row
			for j := 0; j < i; j++ {
				rows = append(rows, laketest.Row{"id": fmt.Sprintf("r%d-%d", i, j), "n": j})
			}
			e.Append(t, name, rows...)
		}
	}
	out, _ := distill(t, 0, "--lake", lk, "snapshots", "t.v1")
	var seqs []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "t.v1" {
			seqs = append(seqs, f[1])
		}
	}
	if strings.Join(seqs, ",") != "1,2,3" {
		t.Errorf("snapshots of a v1 table numbered %v, want 1,2,3:\n%s", seqs, out)
	}
	out, _ = distill(t, 0, "--lake", lk, "log")
	if !strings.Contains(out, "v1@1 ") || !strings.Contains(out, "v1@3 ") || strings.Contains(out, "v1@0") {
		t.Errorf("log numbers the v1 table's commits wrong:\n%s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "sql", "--format", "csv", `SELECT (SELECT count(*) FROM "t.v1@2") || '/' || (SELECT count(*) FROM "t.v1@3") AS n`)
	if out != "n\n3/6\n" {
		t.Errorf(`"t.v1@2"/"t.v1@3" rows = %q, want 3/6`, out)
	}

	e.DeleteWhere(t, "t.mor", "n", int64(0))
	out, _ = distill(t, 0, "--lake", lk, "compact", "t.mor")
	// The first file held only n = 0: the delete dropped it whole.
	if !strings.Contains(out, "t.mor: 2 files -> 1 (5 rows") || !strings.Contains(out, "1 delete file applied: 2 rows deleted") {
		t.Errorf("compact of a table with delete files: %q", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "sql", "--format", "csv", `SELECT count(*) || '/' || count(*) FILTER (WHERE n = 0) AS n FROM t.mor`)
	if out != "n\n3/0\n" {
		t.Errorf("rows after compaction, deleted ones among them = %q, want 3/0", out)
	}
}
