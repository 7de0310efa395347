package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/internal/testutil"
)

// TestMain doubles as the distill binary when DISTILL_TEST_MAIN is set, so
// tests can run real, separate distill processes side by side.
func TestMain(m *testing.M) {
	if os.Getenv("DISTILL_TEST_MAIN") == "1" {
		os.Exit(run(context.Background(), append([]string{"distill"}, os.Args[1:]...), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// distill runs the CLI in-process and returns stdout and stderr.
func distill(t *testing.T, wantCode int, args ...string) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"distill"}, args...), &out, &errOut)
	if code != wantCode {
		t.Fatalf("distill %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

func TestCLI_IngestQueryAndSnapshots(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 1, "init", "--lake", lk) // a second init refuses to clobber

	agNews := testutil.Shared(t, "corpus/ag_news/test.csv")
	out, _ := distill(t, 0, "--lake", lk, "ingest", "--json", "--source", "ag_news", agNews)
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("ingest --json printed %q: %v", out, err)
	}
	for _, k := range []string{"rows_in", "rows_out", "rejected", "duplicates", "seconds", "snapshot"} {
		if _, ok := res[k]; !ok {
			t.Errorf("ingest --json lacks %q: %s", k, out)
		}
	}
	if res["rows_out"] != 7600.0 || res["snapshot"] != 1.0 {
		t.Errorf("rows_out %v snapshot %v, want 7600 and 1", res["rows_out"], res["snapshot"])
	}
	out, _ = distill(t, 0, "--lake", lk, "ingest", agNews)
	if !strings.Contains(out, "0 new rows") || !strings.Contains(out, "already in corpus.raw") {
		t.Errorf("re-ingest summary does not say nothing was added: %q", out)
	}
	dir := t.TempDir()
	more := filepath.Join(dir, "more.jsonl")
	os.WriteFile(more, []byte(`{"id":"m1","title":"Grid battery online","content":"A 100 MW battery entered service."}`+"\n"), 0o644)
	distill(t, 0, "--lake", lk, "ingest", more)

	// csv: a header line, then rows, nothing else on stdout.
	out, _ = distill(t, 0, "--lake", lk, "sql", "--format", "csv", `SELECT dataset, count(*) AS n FROM corpus.raw GROUP BY 1 ORDER BY 1`)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"dataset", "n"}, {"ag_news", "7600"}, {"more", "1"}}
	if fmt.Sprint(recs) != fmt.Sprint(want) {
		t.Errorf("csv = %q, want %q", recs, want)
	}
	// Time travel by sequence number (flags may follow the query).
	out, _ = distill(t, 0, "--lake", lk, "sql", `SELECT count(*) AS n FROM "corpus.raw@1"`, "--format", "json")
	if !strings.Contains(out, `"n": 7600`) {
		t.Errorf("@1 count: %s", out)
	}
	_, stderr := distill(t, 1, "--lake", lk, "sql", `SELECT * FROM "corpus.raw@7"`)
	if !strings.Contains(stderr, "no snapshot with sequence number 7") {
		t.Errorf("missing snapshot error: %q", stderr)
	}
	// Tags.
	distill(t, 0, "--lake", lk, "tag", "first-load", "corpus.raw@1")
	out, _ = distill(t, 0, "--lake", lk, "sql", "--format", "csv", `SELECT count(*) FROM "corpus.raw@first-load"`)
	if out != "count_star()\n7600\n" {
		t.Errorf("@first-load = %q", out)
	}
	distill(t, 1, "--lake", lk, "tag", "123", "corpus.raw")

	// Snapshots: sequence, id, time, operation, rows added, total, run id, command.
	out, _ = distill(t, 0, "--lake", lk, "snapshots", "--json", "corpus.raw")
	var snaps []snapshotJSON
	if err := json.Unmarshal([]byte(out), &snaps); err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || snaps[0].Seq != 1 || snaps[1].Seq != 2 || snaps[1].AddedRows != 1 || snaps[1].TotalRows != 7601 ||
		snaps[0].RunID == "" || !strings.Contains(snaps[0].Command, "ingest") || snaps[0].Operation != "append" ||
		len(snaps[0].Tags) != 1 || snaps[0].ID == 0 || snaps[0].Time.IsZero() {
		t.Errorf("snapshots = %+v", snaps)
	}
	out, _ = distill(t, 0, "--lake", lk, "tables")
	if !strings.Contains(out, "corpus.raw") || !strings.Contains(out, "7601") || !strings.Contains(out, "corpus.rejects") {
		t.Errorf("tables = %q", out)
	}
}

func TestCLI_Errors(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "nolake")
	_, stderr := distill(t, 1, "--lake", lk, "sql", "SELECT 1")
	if !strings.Contains(stderr, "distill init") {
		t.Errorf("no-lake error does not say how to make one: %q", stderr)
	}
	distill(t, 0, "--lake", lk, "init")
	_, stderr = distill(t, 1, "--lake", lk, "sql", "--format", "xml", "SELECT 1")
	if !strings.Contains(stderr, "xml") {
		t.Errorf("bad format error: %q", stderr)
	}
	_, stderr = distill(t, 1, "--lake", lk, "ingest", "--map", "contnet=body", "x.jsonl")
	if !strings.Contains(stderr, "contnet") {
		t.Errorf("bad --map error: %q", stderr)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"title\":\"ok\",\"content\":\"fine\"}\n{oops\n"), 0o644)
	_, stderr = distill(t, 1, "--lake", lk, "ingest", "--strict", bad)
	if !strings.Contains(stderr, "bad.jsonl line 2") || !strings.Contains(stderr, "nothing committed") {
		t.Errorf("--strict error: %q", stderr)
	}
	out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", "SELECT count(*) FROM corpus.raw")
	if out != "count_star()\n0\n" {
		t.Errorf("rows after --strict failure: %q", out)
	}
}

// Distill processes ingesting into one lake at once all succeed and lose nothing.
func TestCLI_ConcurrentIngests(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	dir := t.TempDir()
	const procs, files = 2, 4
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for p := 0; p < procs; p++ {
		var args []string
		for f := 0; f < files; f++ {
			var b strings.Builder
			for i := 0; i < 50; i++ {
				fmt.Fprintf(&b, `{"id":"p%d-f%d-%d","title":"t","content":"c %d"}`+"\n", p, f, i, i)
			}
			path := filepath.Join(dir, fmt.Sprintf("p%d-f%d.jsonl", p, f))
			os.WriteFile(path, []byte(b.String()), 0o644)
			args = append(args, path)
		}
		// One process per file: eight writers contend for the same table.
		for _, a := range args {
			cmd := exec.Command(os.Args[0], "--lake", lk, "ingest", a)
			cmd.Env = append(os.Environ(), "DISTILL_TEST_MAIN=1")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			cmds = append(cmds, cmd)
			outs = append(outs, &out)
		}
	}
	// Start all ingests at once.
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("ingest %d failed: %v\n%s", i, err, outs[i])
		}
	}
	out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", "SELECT count(*), count(DISTINCT id) FROM corpus.raw")
	if want := fmt.Sprintf("count_star(),count(DISTINCT id)\n%d,%d\n", procs*files*50, procs*files*50); out != want {
		t.Errorf("after concurrent ingests: %q, want %q", out, want)
	}
	out, _ = distill(t, 0, "--lake", lk, "snapshots", "--json", "corpus.raw")
	var snaps []snapshotJSON
	json.Unmarshal([]byte(out), &snaps)
	if len(snaps) != procs*files {
		t.Errorf("%d snapshots, want %d", len(snaps), procs*files)
	}
}

// Two processes ingesting the same new file at once add each article once.
func TestCLI_ConcurrentIngestsOfTheSameFile(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	path := testutil.Shared(t, "corpus/ag_news/test.csv")
	var cmds []*exec.Cmd
	for range 3 {
		cmd := exec.Command(os.Args[0], "--lake", lk, "ingest", path)
		cmd.Env = append(os.Environ(), "DISTILL_TEST_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Error(err)
		}
	}
	out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", "SELECT count(*), count(DISTINCT id) FROM corpus.raw")
	if out != "count_star(),count(DISTINCT id)\n7600,7600\n" {
		t.Errorf("after three concurrent ingests of one file: %q", out)
	}
}

func TestInterspersed(t *testing.T) {
	app := &cli.App{Flags: []cli.Flag{lakeFlag}, Commands: []*cli.Command{sqlCommand(&env{}), ingestCommand(&env{})}}
	for _, tc := range []struct{ in, want string }{
		{`distill sql Q --format csv`, `distill sql --format csv Q`},
		{`distill --lake L sql Q --format=json`, `distill --lake L sql --format=json Q`},
		{`distill sql --lake L Q --format json`, `distill sql --lake L --format json Q`},
		{`distill ingest a.jsonl --strict b.jsonl --source S`, `distill ingest --strict --source S a.jsonl b.jsonl`},
		{`distill ingest a.jsonl -- --odd-name.jsonl`, `distill ingest a.jsonl -- --odd-name.jsonl`},
		{`distill sql Q --unknown`, `distill sql Q --unknown`},
	} {
		if got := strings.Join(interspersed(app, strings.Fields(tc.in)), " "); got != tc.want {
			t.Errorf("interspersed(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCLI_Demo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	out, _ := distill(t, 0, "demo", "--dir", dir, "--articles", "400")
	for _, want := range []string{"generated 400 articles", "1/9 ingest", "prefilter", "compress", "8/9 eval", "9/9 report", "rows_at_1", "malformed_json", "demo done"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "report.html")); err != nil || st.Size() < 10000 {
		t.Errorf("the demo wrote no report beside its lake: %v", err)
	}
	distill(t, 0, "demo", "--dir", dir, "--articles", "400") // a rerun replaces its own folder
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "precious.txt"), []byte("x"), 0o644)
	distill(t, 1, "demo", "--dir", other) // never clobbers a folder it did not make
}
