package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/pgtest"
	"github.com/distillery/distillery/internal/testutil"
)

// A lake on a PostgreSQL catalog through the CLI: init with --catalog,
// ingest and a keyed stage with --lake alone (DIR/catalog.json names the
// catalog), read back with distill sql, from a second folder too (another
// machine: only the catalog URL, the warehouse it records is shared).
func TestCLI_PostgresCatalog(t *testing.T) {
	url := pgtest.URL(t)
	lk := filepath.Join(t.TempDir(), "lake")
	f := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	distill(t, 0, "--catalog", url, "init", "--lake", lk)
	if _, err := os.Stat(filepath.Join(lk, "catalog.db")); err == nil {
		t.Fatal("init --catalog made catalog.db")
	}
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz"))
	distill(t, 0, "--lake", lk, "prefilter", "--filter", f)
	q := "SELECT (SELECT count(*) FROM corpus.raw) AS raw, count(*) AS decided, count(DISTINCT id) AS ids FROM prefiltered"
	out, _ := distill(t, 0, "--lake", lk, "sql", "--filter", f, "--format", "csv", q)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("sql: %q", out)
	}
	cols := strings.Split(lines[1], ",")
	if cols[0] == "0" || cols[0] != cols[1] || cols[1] != cols[2] {
		t.Errorf("raw, decided, distinct ids = %s: want every raw row decided once", lines[1])
	}
	machine2 := filepath.Join(t.TempDir(), "machine2")
	out2, _ := distill(t, 0, "--catalog", url, "--lake", machine2, "sql", "--filter", f, "--format", "csv", q)
	if out2 != out {
		t.Errorf("second folder on the same catalog reads %q, want %q", out2, out)
	}
	// Nothing of the locks is left as files: they are leases.
	if _, err := os.Stat(filepath.Join(lk, "locks")); err == nil {
		t.Error("a lake on PostgreSQL made DIR/locks")
	}
}

// The keyed stages run twice at once, in real processes, against one
// PostgreSQL catalog, each process with its own lake folder as two machines
// have (no lock file is shared): one row per key, as with catalog.db and
// file locks.
func TestCLI_PostgresConcurrentStagesOneRowPerKey(t *testing.T) {
	url := pgtest.URL(t)
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "--catalog", url, "init", "--lake", lk)
	machine2 := filepath.Join(t.TempDir(), "machine2")
	distill(t, 0, "--catalog", url, "--lake", machine2, "tables")
	concurrentStagesOneRowPerKey(t, lk, machine2)
}

// Three ingests of one file at once, each from its own folder on one
// PostgreSQL catalog, add each article once (the ingest lock is a lease).
func TestCLI_PostgresConcurrentIngestsOfTheSameFile(t *testing.T) {
	url := pgtest.URL(t)
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "--catalog", url, "init", "--lake", lk)
	path := testutil.Shared(t, "corpus/ag_news/test.csv")
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range 3 {
		cmd := exec.Command(os.Args[0], "--catalog", url, "--lake", filepath.Join(t.TempDir(), fmt.Sprintf("machine%d", i)), "ingest", path)
		cmd.Env = append(os.Environ(), "DISTILL_TEST_MAIN=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, &out)
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("ingest %d: %v\n%s", i, err, outs[i])
		}
	}
	out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", "SELECT count(*), count(DISTINCT id) FROM corpus.raw")
	if out != "count_star(),count(DISTINCT id)\n7600,7600\n" {
		t.Errorf("after three ingests of one file at once: %q, want 7600 rows, 7600 ids", out)
	}
}

// A catalog that cannot be reached is named in the error, without its
// password, and nothing is made.
func TestCLI_BadCatalog(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	_, stderr := distill(t, 1, "--catalog", "postgres://distill:secret@127.0.0.1:1/lake?connect_timeout=5", "init", "--lake", lk)
	if !strings.Contains(stderr, "catalog postgres://distill@127.0.0.1:1/lake") || strings.Contains(stderr, "secret") {
		t.Errorf("stderr %q: want the catalog named, without its password", stderr)
	}
	if _, err := os.Stat(lk); err == nil {
		t.Errorf("a failed init left %s", lk)
	}
	_, stderr = distill(t, 1, "--catalog", "sqlite:///tmp/x.db", "init", "--lake", lk)
	if !strings.Contains(stderr, "not a PostgreSQL URL") {
		t.Errorf("stderr %q: want a refusal of the URL", stderr)
	}
}
