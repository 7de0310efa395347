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

// sqlLake is a small lake of three articles, prefiltered by the repo's
// sustainability filter (so corpus.raw and the filter's prefiltered exist,
// its labels not yet), and that filter's directory.
func sqlLake(t *testing.T) (lk, filter string) {
	t.Helper()
	filter = filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	lk = filepath.Join(t.TempDir(), "lake")
	src := filepath.Join(t.TempDir(), "a.jsonl")
	var b strings.Builder
	for _, id := range []string{"a1", "a2", "a3"} {
		b.WriteString(`{"id":"` + id + `","title":"Grid battery ` + id + ` online","content":"` + strings.Repeat("A 100 MW battery entered service in the grid. ", 20) + `"}` + "\n")
	}
	if err := os.WriteFile(src, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", src)
	distill(t, 0, "--lake", lk, "prefilter", "--filter", filter)
	return lk, filter
}

// TestCLI_SQLSpeaksOfTheLake: a missing table is answered with the lake's
// tables and the stage that creates it, a misquoted snapshot with the
// quoting rule, never with DuckDB's catalog (pragma_database_list,
// pg_tables, pg_constraint); SHOW TABLES lists the lake.
func TestCLI_SQLSpeaksOfTheLake(t *testing.T) {
	lk, filter := sqlLake(t)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"select * from corpus.rawx"}, []string{"no table corpus.rawx", "did you mean corpus.raw?"}},
		{[]string{"--filter", filter, "select * from label"}, []string{"no table label", "labels does not exist yet", "distill label --filter " + filter}},
		{[]string{"select * from sustainability_tech_deployment.labels"}, []string{"sustainability_tech_deployment.labels does not exist yet", "distill label --filter DIR"}},
		{[]string{"--filter", filter, "select * from prefilterd"}, []string{"did you mean prefiltered?"}},
		{[]string{"select * from prefiltered"}, []string{"did you mean sustainability_tech_deployment.prefiltered?"}},
		{[]string{"select count(*) from 'corpus.raw@1'"}, []string{`a snapshot is a table name in double quotes`, `from "corpus.raw@1"`}},
		{[]string{"select count(*) from corpus.raw@1"}, []string{`a snapshot is a table name in double quotes`, `from "corpus.raw@1"`}},
	} {
		_, stderr := distill(t, 1, append([]string{"--lake", lk, "sql"}, c.args...)...)
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("sql %q: stderr %q lacks %q", c.args, stderr, w)
			}
		}
		for _, bad := range []string{"pragma_", "pg_", "duckdb_"} {
			if strings.Contains(stderr, bad) {
				t.Errorf("sql %q: stderr %q names DuckDB's catalog", c.args, stderr)
			}
		}
	}
	for _, q := range []string{"SHOW TABLES", "SHOW ALL TABLES"} {
		out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", q)
		want := "namespace,table,rows,snapshots,current\ncorpus,raw,3,1,1\ncorpus,rejects,0,0,\nsustainability_tech_deployment,prefiltered,3,1,1\n"
		if out != want {
			t.Errorf("%s:\n%s\nwant:\n%s", q, out, want)
		}
	}
}

// TestCLI_SQLFilterMustExist: --filter naming no filter package is refused
// with the path and the packages near it (it was accepted silently).
func TestCLI_SQLFilterMustExist(t *testing.T) {
	lk, filter := sqlLake(t)
	root := filepath.Dir(filepath.Dir(filter))
	typo := filepath.Join(root, "sustainability_tech_deploymnt", "v1")
	_, stderr := distill(t, 1, "--lake", lk, "sql", "--filter", typo, "select 1")
	if !strings.Contains(stderr, typo) || !strings.Contains(stderr, "did you mean "+filter+"?") {
		t.Errorf("--filter %s: %q", typo, stderr)
	}
	nope := filepath.Join(root, "nope", "v1")
	_, stderr = distill(t, 1, "--lake", lk, "sql", "--filter", nope, "select 1")
	if !strings.Contains(stderr, nope) || !strings.Contains(stderr, filter) || !strings.Contains(stderr, filepath.Join(root, "uplifting", "v1")) {
		t.Errorf("--filter %s: %q does not list the packages under %s", nope, stderr, root)
	}
	_, stderr = distill(t, 1, "--lake", lk, "sql", "--filter", root, "select 1")
	if !strings.Contains(stderr, "filter.yaml") {
		t.Errorf("--filter %s (a folder of packages): %q", root, stderr)
	}
}

// TestCLI_SQLQueryFromFileAndStdin: -f FILE, -f -, a lone - and a piped
// standard input with no query each run the query they hold.
func TestCLI_SQLQueryFromFileAndStdin(t *testing.T) {
	lk, _ := sqlLake(t)
	q := filepath.Join(t.TempDir(), "q.sql")
	os.WriteFile(q, []byte("-- count the articles\nSELECT count(*) AS n\nFROM corpus.raw;\n"), 0o644)
	out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", "-f", q)
	if out != "n\n3\n" {
		t.Errorf("-f %s: %q", q, out)
	}
	for _, args := range [][]string{{"-f", "-"}, {"-"}, {}} {
		withStdin(t, "SELECT count(*) AS n FROM corpus.raw")
		out, _ := distill(t, 0, append([]string{"--lake", lk, "sql", "--format", "csv"}, args...)...)
		if out != "n\n3\n" {
			t.Errorf("sql %q with the query on stdin: %q", args, out)
		}
	}
	// A script of several statements prints the rows of each.
	withStdin(t, "SELECT count(*) AS n FROM corpus.raw;\n-- then\nSELECT 'a;b' AS s;\n")
	if out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv"); out != "n\n3\ns\na;b\n" {
		t.Errorf("two statements on stdin: %q", out)
	}
	withStdin(t, "")
	_, stderr := distill(t, 1, "--lake", lk, "sql")
	if !strings.Contains(stderr, "no query") {
		t.Errorf("empty stdin: %q", stderr)
	}
	_, stderr = distill(t, 1, "--lake", lk, "sql", "-f", q, "SELECT 1")
	if !strings.Contains(stderr, "not both") {
		t.Errorf("-f and a query: %q", stderr)
	}
}

// withStdin makes the process's standard input a pipe holding s for the
// rest of the test.
func withStdin(t *testing.T, s string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.WriteString(s)
		w.Close()
	}()
	old := os.Stdin
	os.Stdin = r
	t.Cleanup(func() {
		os.Stdin = old
		r.Close()
	})
}
