//go:build unix

package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/pgtest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
)

// keyed is every table with one row per key that the crash test checks.
var keyed = []struct{ table, key string }{
	{"corpus.raw", "id"},
	{"sustainability_tech_deployment.prefiltered", "id"},
	{"sustainability_tech_deployment.compressed", "id"},
	{"sustainability_tech_deployment.labels", "id, oracle, model"},
	{"sustainability_tech_deployment.splits", "id"},
}

// TestCrash_KillNine kills real distill processes with SIGKILL (ingest,
// prefilter, compress, label against a local fake Gemini server, split),
// exactly before and after a catalog commit (lake.CrashPoint) and at random
// moments, resuming after each. After every kill the lake opens and each
// keyed table has one row per key; at the end every compressed article has
// a label or a recorded failure, and `distill expire` with no grace removes
// every data file the kills left behind. DISTILL_CRASH_SEED=N replays a run.
func TestCrash_KillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes: not in -short")
	}
	crashKillNine(t)
}

// TestCrash_KillNinePostgres is TestCrash_KillNine on a lake whose catalog
// is in PostgreSQL, its locks leases: a killed holder's lease must not
// block the resumed run, nor let two runs add a key twice.
func TestCrash_KillNinePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes: not in -short")
	}
	crashKillNine(t, "--catalog", pgtest.URL(t))
}

// crashKillNine is TestCrash_KillNine over a lake made by init with the
// global flags initFlags.
func crashKillNine(t *testing.T, initFlags ...string) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DISTILL_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DISTILL_CRASH_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("random kill delays came from seed %d: rerun with DISTILL_CRASH_SEED=%d", seed, seed)
		}
	})
	rng := rand.New(rand.NewPCG(seed, 12))

	filterDir := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	f, err := filters.Load(filterDir)
	if err != nil {
		t.Fatal(err)
	}
	srv := fakeGemini(t, f, 20*time.Millisecond)
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, append(initFlags, "init", "--lake", lk)...)
	parts := sampleParts(t, 4, 1300) // the whole sample: its duplicated texts are the hard case for labeling
	command := func(stage string, part int) []string {
		args := []string{"--lake", lk, stage}
		switch stage {
		case "ingest":
			return append(args, parts[part])
		case "label":
			return append(args, "--filter", filterDir, "--oracle", "gemini", "--base-url", srv.URL, "--concurrency", "4")
		}
		return append(args, "--filter", filterDir)
	}
	stages := []string{"ingest", "prefilter", "compress", "label", "split"}

	// Exactly at the commit: the process dies with its files written and
	// the catalog not yet (or just) pointing at them.
	for _, stage := range stages {
		for _, point := range []string{"before-commit", "after-commit"} {
			out, killed := runDistill(t, command(stage, 0), point, -1)
			if !killed {
				t.Fatalf("%s with %s=%s was not killed: it never reached the point\n%s", stage, lake.CrashEnv, point, out)
			}
			checkKeys(t, lk, fmt.Sprintf("%s killed at %s", stage, point))
		}
		resume(t, command(stage, 0), stage+" after its kills at commit")
	}

	// At random moments, over more input: each stage killed once, then run
	// to its end.
	for round := 1; round < len(parts); round++ {
		for _, stage := range stages {
			delay := time.Duration(rng.IntN(800)) * time.Millisecond
			_, killed := runDistill(t, command(stage, round), "", delay)
			t.Logf("round %d: %s killed after %v: %v", round, stage, delay, killed)
			checkKeys(t, lk, fmt.Sprintf("round %d: %s killed after %v (killed: %v)", round, stage, delay, killed))
			resume(t, command(stage, round), fmt.Sprintf("round %d: %s", round, stage))
		}
	}

	l := openLake(t, lk)
	ns := f.Namespace()
	if n := testutil.QueryInt(t, l, "SELECT count(*) FROM "+ns+".compressed"); n == 0 {
		t.Fatal("nothing was compressed: the sample is too small to test labeling")
	}
	// Articles sharing a compressed text (so a prompt) with a labeled one
	// were the ones left behind before labels were decided per article id.
	missing := testutil.QueryStrings(t, l, "SELECT c.id FROM "+ns+".compressed c"+
		" WHERE NOT EXISTS (SELECT 1 FROM "+ns+".labels x WHERE x.id = c.id)"+
		" AND NOT EXISTS (SELECT 1 FROM "+ns+".oracle_calls o WHERE o.id = c.id AND o.status = 'failed') ORDER BY c.id")
	if len(missing) > 0 {
		t.Errorf("%d compressed articles have neither a label nor a recorded failure after resuming: %v", len(missing), missing[:min(len(missing), 10)])
	}
	l.Close()

	before := orphanFiles(t, lk)
	if before == 0 {
		t.Error("the kills before a commit left no unreferenced data file: the crash points were not reached")
	}
	distill(t, 0, "--lake", lk, "expire", "--older-than", "0s", "--grace", "0", "--yes")
	if after := orphanFiles(t, lk); after != 0 {
		t.Errorf("expire --grace 0 left %d of the %d data files no current snapshot reads", after, before)
	}
	checkKeys(t, lk, "after expire")

}

// runDistill runs the test binary as distill. With point set, the process
// kills itself there (DISTILL_CRASH_AT); with delay >= 0 it is sent SIGKILL
// after delay. killed reports whether it died of SIGKILL.
func runDistill(t *testing.T, args []string, point string, delay time.Duration) (string, bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "DISTILL_TEST_MAIN=1", lake.CrashEnv+"="+point)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	killed, err := testutil.RunKilled(cmd, delay)
	if err != nil {
		t.Fatalf("distill %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), killed
}

// resume runs a stage to its end, as a user would after a crash.
func resume(t *testing.T, args []string, what string) {
	t.Helper()
	if out, killed := runDistill(t, args, "", -1); killed {
		t.Fatalf("%s: resumed run was killed\n%s", what, out)
	}
	checkKeys(t, args[1], what)
}

// checkKeys opens the lake and checks that each keyed table that exists has
// one row per key.
func checkKeys(t *testing.T, lk, when string) {
	t.Helper()
	ctx := context.Background()
	l, err := lake.Open(ctx, lk)
	if err != nil {
		t.Fatalf("%s: the lake does not open: %v", when, err)
	}
	defer l.Close()
	for _, k := range keyed {
		name, _ := lake.ParseTableName(k.table, "")
		if snap, err := l.Current(ctx, name); err != nil && !errors.Is(err, lake.ErrNoTable) {
			t.Fatalf("%s: %s: %v", when, k.table, err)
		} else if snap == nil {
			continue
		}
		q := "SELECT (SELECT count(*) FROM " + k.table + ") - (SELECT count(*) FROM (SELECT DISTINCT " + k.key + " FROM " + k.table + "))"
		if n := testutil.QueryInt(t, l, q); n != 0 {
			t.Errorf("%s: %s has %d rows beyond one per %s", when, k.table, n, k.key)
		}
	}
}

// orphanFiles counts the Parquet files under the tables' data folders that
// the current snapshot does not read: read from the folders, not from the
// code that deletes them.
func orphanFiles(t *testing.T, lk string) int {
	t.Helper()
	ctx := context.Background()
	l, err := lake.Open(ctx, lk)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tables, err := l.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ti := range tables {
		st, err := l.Files(ctx, ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		// The SQL catalog's layout: warehouse/<namespace>.db/<table>/data/.
		disk, _ := filepath.Glob(filepath.Join(lk, lake.WarehouseDir, ti.Name.Namespace+".db", ti.Name.Table, "data", "*.parquet"))
		n += len(disk) - st.DataFiles
	}
	return n
}

// sampleParts writes n JSONL files of size articles each from the ai-tech
// sample and returns their paths.
func sampleParts(t *testing.T, n, size int) []string {
	t.Helper()
	fh, err := os.Open(testutil.Shared(t, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(gz)
	dir := t.TempDir()
	var paths []string
	for p := 0; p < n; p++ {
		var b bytes.Buffer
		for i := 0; i < size; i++ {
			line, err := r.ReadBytes('\n')
			b.Write(line)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(dir, fmt.Sprintf("part%d.jsonl", p))
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// fakeGemini serves Gemini's generateContent wire format with one valid
// answer for every request, after latency.
func fakeGemini(t *testing.T, f *filters.Filter, latency time.Duration) *httptest.Server {
	t.Helper()
	var parts []string
	for i, d := range f.DimensionNames() {
		parts = append(parts, fmt.Sprintf(`\"%s\": {\"score\": %d, \"evidence\": \"e\"}`, d, 3+i%5))
	}
	body := fmt.Sprintf(`{"candidates":[{"content":{"role":"model","parts":[{"text":"{%s}"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":800,"candidatesTokenCount":150}}`, strings.Join(parts, ", "))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(latency)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("GEMINI_API_KEY", "test-key-not-secret")
	return srv
}
