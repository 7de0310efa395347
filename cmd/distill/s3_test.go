package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/pgtest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
)

// s3Env sets the AWS environment for the server in DISTILL_TEST_S3
// (ENDPOINT|BUCKET|KEY|SECRET; .ci/s3.sh starts versitygw and prints it) and
// an object cache of the test's own, and returns a warehouse URL of the
// test's own. Without the variable the test skips and says why.
func s3Env(t *testing.T) string {
	t.Helper()
	v := os.Getenv("DISTILL_TEST_S3")
	if v == "" {
		t.Skip("no S3 server: set DISTILL_TEST_S3 to ENDPOINT|BUCKET|KEY|SECRET (.ci/s3.sh starts versitygw and prints it) to run this test")
	}
	p := strings.Split(v, "|")
	if len(p) != 4 {
		t.Fatalf("DISTILL_TEST_S3=%q: want ENDPOINT|BUCKET|KEY|SECRET", v)
	}
	t.Setenv("AWS_ENDPOINT_URL_S3", p[0])
	t.Setenv("AWS_ACCESS_KEY_ID", p[2])
	t.Setenv("AWS_SECRET_ACCESS_KEY", p[3])
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv(lake.ObjectCacheEnv, filepath.Join(t.TempDir(), "cache"))
	return "s3://" + p[1] + "/cli-" + lake.NewRunID()
}

// init, ingest, prefilter and sql on a lake whose catalog is in PostgreSQL
// and whose files are in S3; a time-travel read; a second machine's folder
// reads the same; nothing of the warehouse on local disk but the cache.
func TestCLI_S3Warehouse(t *testing.T) {
	wh := s3Env(t)
	url := pgtest.URL(t)
	lk := filepath.Join(t.TempDir(), "lake")
	f := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	distill(t, 1, "--warehouse", wh, "init", "--lake", filepath.Join(t.TempDir(), "nocatalog"))
	distill(t, 0, "--catalog", url, "--warehouse", wh, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz"))
	distill(t, 0, "--lake", lk, "prefilter", "--filter", f)
	q := `SELECT (SELECT count(*) FROM corpus.raw) AS raw, (SELECT count(*) FROM "corpus.raw@1") AS raw1, count(*) AS decided, count(DISTINCT id) AS ids FROM prefiltered`
	out, _ := distill(t, 0, "--lake", lk, "sql", "--filter", f, "--format", "csv", q)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("sql: %q", out)
	}
	cols := strings.Split(lines[1], ",")
	if cols[0] == "0" || cols[0] != cols[1] || cols[1] != cols[2] || cols[2] != cols[3] {
		t.Errorf("raw, raw@1, decided, distinct ids = %s: want every raw row decided once", lines[1])
	}
	t.Setenv(lake.ObjectCacheEnv, filepath.Join(t.TempDir(), "cache2")) // another machine: a cold cache
	out2, _ := distill(t, 0, "--catalog", url, "--lake", filepath.Join(t.TempDir(), "machine2"), "sql", "--filter", f, "--format", "csv", q)
	if out2 != out {
		t.Errorf("second folder reads %q, want %q", out2, out)
	}
	_ = filepath.WalkDir(lk, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(p) != lake.PointerFile {
			t.Errorf("local file %s in a lake whose warehouse is %s", p, wh)
		}
		return nil
	})
}
