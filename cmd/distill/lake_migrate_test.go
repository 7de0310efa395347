//go:build unix

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/pgtest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
)

// migrateDemo makes a small demo lake with two tags and a second ingest of
// corpus.raw (so it has several snapshots); it returns the lake folder.
func migrateDemo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	distill(t, 0, "demo", "--dir", dir, "--articles", "120")
	lk := filepath.Join(dir, "lake")
	distill(t, 0, "--lake", lk, "tag", "v1", "corpus.raw@1")
	distill(t, 0, "--lake", lk, "tag", "gold", "sustainability_tech_deployment.labels")
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/ag_news/test.csv"))
	return lk
}

// lakeReads is what a user reads of the lake: counts and sums of the
// current tables, of old snapshots by number and of the tags, and
// corpus.raw's log.
func lakeReads(t *testing.T, lk string) string {
	t.Helper()
	q := `SELECT (SELECT count(*) FROM corpus.raw) AS raw_now,
		(SELECT count(*) FROM "corpus.raw@1") AS raw_1,
		(SELECT count(*) FROM "corpus.raw@v1") AS raw_v1,
		(SELECT sum(hash(id, title)) FROM "corpus.raw@2") AS raw_2_sum,
		(SELECT sum(hash(*COLUMNS(*))) FROM "sustainability_tech_deployment.labels@gold") AS gold_sum,
		(SELECT count(*) FROM sustainability_tech_deployment.prefiltered) AS prefiltered`
	out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", q)
	log, _ := distill(t, 0, "--lake", lk, "log", "--table", "corpus.raw")
	return out + log
}

// treeHashes is the sha256 of every file under dir.
func treeHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		out[p] = hex.EncodeToString(h[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalHashes(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d files, then %d", what, len(a), len(b))
	}
	for p, h := range a {
		if b[p] != h {
			t.Errorf("%s: %s changed or is gone", what, p)
		}
	}
}

// A demo lake with tags moves to PostgreSQL and another warehouse: sql,
// time travel by number and by tag, and log read the same; a stage keeps
// working on it and writes into the new warehouse; the source's files are
// unchanged and its catalog, put back, still opens the old lake; a rerun
// does nothing and another lake is refused in the same catalog.
func TestCLI_LakeMigrate(t *testing.T) {
	url := pgtest.URL(t)
	lk := migrateDemo(t)
	before := lakeReads(t, lk)
	srcFiles := treeHashes(t, filepath.Join(lk, "warehouse"))
	wh := filepath.Join(t.TempDir(), "warehouse2")

	out, _ := distill(t, 0, "--lake", lk, "lake", "migrate", "--catalog", url, "--warehouse", wh, "--json")
	var res lake.MigrateResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("migrate --json: %v\n%s", err, out)
	}
	if len(res.Tables) < 10 || res.Tags != 2 || res.Snapshots <= len(res.Tables) || res.Files == 0 || res.Bytes == 0 || res.Backup == "" || res.Resumed {
		t.Errorf("migrate result: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(lk, "catalog.db")); err == nil {
		t.Error("catalog.db is still in the lake folder: a process would open the old lake")
	}
	p, err := os.ReadFile(filepath.Join(lk, "catalog.json"))
	if err != nil || !strings.Contains(string(p), wh) {
		t.Fatalf("catalog.json: %q, %v", p, err)
	}
	if after := lakeReads(t, lk); after != before {
		t.Errorf("the migrated lake reads\n%s\nthe source read\n%s", after, before)
	}
	for _, f := range []string{"models", "journal"} {
		if _, err := os.Stat(filepath.Join(lk, f)); err != nil {
			t.Errorf("%s/ left the lake folder: %v", f, err)
		}
	}

	// A stage writes on the migrated lake, into the new warehouse.
	f := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	distill(t, 0, "--lake", lk, "prefilter", "--filter", f)
	got, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", "SELECT count(*) = (SELECT count(DISTINCT id) FROM corpus.raw) FROM sustainability_tech_deployment.prefiltered")
	if !strings.Contains(got, "true") {
		t.Errorf("prefilter on the migrated lake: every raw row decided once? %q", got)
	}
	equalHashes(t, "the source warehouse", srcFiles, treeHashes(t, filepath.Join(lk, "warehouse")))

	// A rerun has nothing to do; another lake is refused in this catalog.
	out, _ = distill(t, 0, "--lake", lk, "lake", "migrate", "--catalog", url, "--warehouse", wh)
	if !strings.Contains(out, "already migrated") {
		t.Errorf("rerun: %q", out)
	}
	other := filepath.Join(t.TempDir(), "other")
	distill(t, 0, "init", "--lake", other)
	distill(t, 0, "--lake", other, "ingest", testutil.Shared(t, "corpus/ag_news/test.csv"))
	_, errOut := distill(t, 1, "--lake", other, "lake", "migrate", "--catalog", url, "--warehouse", filepath.Join(t.TempDir(), "w3"))
	if !strings.Contains(errOut, "already holds a lake") {
		t.Errorf("migrating a second lake into the catalog: %q", errOut)
	}

	// The old catalog, put back as the docs say, opens the lake as it was.
	if err := os.Remove(filepath.Join(lk, "catalog.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(res.Backup, filepath.Join(lk, "catalog.db")); err != nil {
		t.Fatal(err)
	}
	if back := lakeReads(t, lk); back != before {
		t.Errorf("the source, put back, reads\n%s\nbefore it read\n%s", back, before)
	}
}

// migrate refuses a lake while a writer holds its ingest lock, and changes
// nothing.
func TestCLI_LakeMigrateRefusesWhileWriting(t *testing.T) {
	url := pgtest.URL(t)
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/ag_news/test.csv"))
	l, err := lake.Open(context.Background(), lk)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, err := l.TryLock("ingest", "test writer")
	if err != nil {
		t.Fatal(err)
	}
	_, errOut := distill(t, 1, "--lake", lk, "lake", "migrate", "--catalog", url, "--warehouse", filepath.Join(t.TempDir(), "w"))
	if !strings.Contains(errOut, "a writer holds its lock") {
		t.Errorf("migrate while a writer holds the lock: %q", errOut)
	}
	u.Unlock()
	if _, err := os.Stat(filepath.Join(lk, "catalog.json")); err == nil {
		t.Error("a refused migrate wrote catalog.json")
	}
	// Given the lake's own warehouse, the files stay where they are.
	out, _ := distill(t, 0, "--lake", lk, "lake", "migrate", "--catalog", url, "--warehouse", filepath.Join(lk, "warehouse"))
	if !strings.Contains(out, "0 written now") || !strings.Contains(out, "shared by both") {
		t.Errorf("migrate with the files in place: %q", out)
	}
	got, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", "SELECT count(*) > 0 FROM corpus.raw")
	if !strings.Contains(got, "true") {
		t.Errorf("the lake migrated in place reads %q", got)
	}
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/ag_news/test.csv"))
}

// migrate killed (kill -9) at each of its steps: the source still opens
// and reads as before (or, once DIR points at the new catalog, the target
// does), a half-migrated catalog does not open as a lake, and a rerun
// finishes the migration with nothing lost.
func TestCrash_LakeMigrate(t *testing.T) {
	if testing.Short() {
		t.Skip("kills distill at each step of a migration")
	}
	for _, point := range []string{"migrate-copied", "migrate-registered", "migrate-finished", "migrate-pointer"} {
		t.Run(point, func(t *testing.T) {
			url := pgtest.URL(t)
			lk := migrateDemo(t)
			before := lakeReads(t, lk)
			wh := filepath.Join(t.TempDir(), "warehouse2")
			args := []string{"--lake", lk, "lake", "migrate", "--catalog", url, "--warehouse", wh}
			if out, killed := runDistill(t, args, point, -1); !killed {
				t.Fatalf("migrate was not killed at %s:\n%s", point, out)
			}
			if got := lakeReads(t, lk); got != before {
				t.Errorf("after a kill at %s the lake reads\n%s\nbefore\n%s", point, got, before)
			}
			if point == "migrate-copied" || point == "migrate-registered" {
				_, errOut := distill(t, 1, "--catalog", url, "--lake", filepath.Join(t.TempDir(), "m2"), "tables")
				if !strings.Contains(errOut, "holds no lake") {
					t.Errorf("a half-migrated catalog opened as a lake: %q", errOut)
				}
			}
			if out, killed := runDistill(t, args, "", -1); killed || !strings.Contains(out, "migrated") {
				t.Fatalf("rerun after a kill at %s:\n%s", point, out)
			}
			if _, err := os.Stat(filepath.Join(lk, "catalog.db")); err == nil {
				t.Error("catalog.db is still in the lake folder after the rerun")
			}
			if got := lakeReads(t, lk); got != before {
				t.Errorf("migrated after a kill at %s, the lake reads\n%s\nbefore\n%s", point, got, before)
			}
		})
	}
}

// Bad input is refused before anything is read or written, with what to
// give instead (no PostgreSQL server needed).
func TestCLI_LakeMigrateBadInput(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--warehouse", "w"}, "needs --catalog"},
		{[]string{"--catalog", "sqlite:///x.db", "--warehouse", "w"}, "not a PostgreSQL URL"},
		{[]string{"--catalog", "postgres://u@127.0.0.1:1/db"}, "needs --warehouse"},
		{[]string{"--catalog", "postgres://u@127.0.0.1:1/db", "--warehouse", "gs://bucket/lake"}, "want a folder or s3://BUCKET/PREFIX"},
		{[]string{"--catalog", "postgres://u@127.0.0.1:1/db", "--warehouse", "s3://bucket/lake?region=x"}, "want s3://BUCKET/PREFIX"},
		{[]string{"--catalog", "postgres://u@127.0.0.1:1/db", "--warehouse", filepath.Join(lk, "warehouse", "inner")}, "must not lie inside"},
	} {
		_, errOut := distill(t, 1, append([]string{"--lake", lk, "lake", "migrate"}, c.args...)...)
		if !strings.Contains(errOut, c.want) {
			t.Errorf("migrate %v: %q, want %q", c.args, errOut, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(lk, "catalog.db")); err != nil {
		t.Errorf("a refused migrate moved catalog.db: %v", err)
	}
}

// A demo lake with tags moves to PostgreSQL and S3: sql, time travel by
// number and by tag, and log read the same; a stage works on it; nothing of
// the new warehouse is written on local disk but the object cache; a rerun
// does nothing. Killed (kill -9) after its first table's copy, a rerun
// skips the objects already there and finishes.
func TestCLI_LakeMigrateToS3(t *testing.T) {
	wh := s3Env(t)
	url := pgtest.URL(t)
	lk := migrateDemo(t)
	before := lakeReads(t, lk)
	srcFiles := treeHashes(t, filepath.Join(lk, "warehouse"))
	args := []string{"--lake", lk, "lake", "migrate", "--catalog", url, "--warehouse", wh + "/", "--json"}

	if out, killed := runDistill(t, args, "migrate-copied", -1); !killed {
		t.Fatalf("migrate was not killed after its first table's copy:\n%s", out)
	}
	if got := lakeReads(t, lk); got != before {
		t.Errorf("after a kill mid-copy the lake reads\n%s\nbefore\n%s", got, before)
	}
	out, killed := runDistill(t, args, "", -1)
	var res lake.MigrateResult
	if err := json.Unmarshal([]byte(out), &res); killed || err != nil {
		t.Fatalf("migrate --json after a kill (killed %v): %v\n%s", killed, err, out)
	}
	if res.Warehouse != wh || len(res.Tables) < 10 || res.Tags != 2 || !res.Resumed || res.Copied == 0 || res.Copied >= res.Files || res.InPlace {
		t.Errorf("resumed migrate: want the warehouse %s, 2 tags, some objects not copied again: %+v", wh, res)
	}
	p, err := os.ReadFile(filepath.Join(lk, "catalog.json"))
	if err != nil || !strings.Contains(string(p), wh) {
		t.Fatalf("catalog.json: %q, %v", p, err)
	}
	if after := lakeReads(t, lk); after != before {
		t.Errorf("the lake migrated to S3 reads\n%s\nthe source read\n%s", after, before)
	}
	f := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	distill(t, 0, "--lake", lk, "prefilter", "--filter", f)
	got, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", "SELECT count(*) = (SELECT count(DISTINCT id) FROM corpus.raw) FROM sustainability_tech_deployment.prefiltered")
	if !strings.Contains(got, "true") {
		t.Errorf("prefilter on the lake migrated to S3: every raw row decided once? %q", got)
	}
	equalHashes(t, "the source warehouse", srcFiles, treeHashes(t, filepath.Join(lk, "warehouse")))
	_ = filepath.WalkDir(lk, func(p string, d fs.DirEntry, err error) error {
		name := filepath.Base(p)
		table := strings.HasSuffix(name, ".parquet") || strings.HasSuffix(name, ".avro") || strings.Contains(name, ".metadata.json")
		if err == nil && !d.IsDir() && table && srcFiles[p] == "" {
			t.Errorf("local table file %s in a lake whose warehouse is %s", p, wh)
		}
		return nil
	})
	out, _ = distill(t, 0, "--lake", lk, "lake", "migrate", "--catalog", url, "--warehouse", wh)
	if !strings.Contains(out, "already migrated") {
		t.Errorf("rerun: %q", out)
	}

	// Another lake is refused in a prefix that holds objects, and nothing
	// is recorded in its catalog.
	other := filepath.Join(t.TempDir(), "other")
	distill(t, 0, "init", "--lake", other)
	distill(t, 0, "--lake", other, "ingest", testutil.Shared(t, "corpus/ag_news/test.csv"))
	_, errOut := distill(t, 1, "--lake", other, "lake", "migrate", "--catalog", pgtest.URL(t), "--warehouse", wh)
	if !strings.Contains(errOut, "is not empty") {
		t.Errorf("migrating into a prefix that holds objects: %q", errOut)
	}
}
