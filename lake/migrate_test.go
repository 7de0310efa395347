package lake

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/pgtest"
)

// migrateSource is a catalog.db lake with one table of two snapshots and a
// tag on the first.
func migrateSource(t *testing.T) *Lake {
	t.Helper()
	ctx := context.Background()
	l := newLake(t)
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
	first := appendRows(t, l, testTable, "a", "b")
	appendRows(t, l, testTable, "c")
	if _, err := l.Tag(ctx, "v1", first.Ref(), false); err != nil {
		t.Fatal(err)
	}
	return l
}

var errStop = errors.New("stopped here by the test")

// A migration stopped after its copy, whose copied data file is then
// damaged (the same size, other bytes), fails its verification on the
// rerun and leaves the source folder as it was: the check reads the
// target's rows, it does not trust the copy.
func TestMigrate_VerificationReadsTheCopy(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	l := migrateSource(t)
	l.Close()
	wh := filepath.Join(t.TempDir(), "wh")
	migrateFault = func(string) error { return errStop }
	_, err := Migrate(ctx, l.Root, MigrateOptions{Catalog: url, Warehouse: wh})
	migrateFault = nil
	if !errors.Is(err, errStop) {
		t.Fatalf("Migrate with a stop after the copy: %v", err)
	}
	data, _ := filepath.Glob(filepath.Join(wh, "t.db", "items", "data", "*.parquet"))
	if len(data) == 0 {
		t.Fatal("no data file was copied")
	}
	raw, err := os.ReadFile(data[0])
	if err != nil {
		t.Fatal(err)
	}
	for i := 4; i < len(raw)/2; i++ {
		raw[i] ^= 0x55
	}
	if err := os.WriteFile(data[0], raw, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Migrate(ctx, l.Root, MigrateOptions{Catalog: url, Warehouse: wh})
	if err == nil || !strings.Contains(err.Error(), "verify t.items") {
		t.Fatalf("Migrate over a damaged copy: %v, want a verification error", err)
	}
	if _, err := os.Stat(filepath.Join(l.Root, PointerFile)); err == nil {
		t.Error("a failed migration wrote catalog.json")
	}
	src, err := Open(ctx, l.Root)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.shared != nil || queryIntLake(t, src, `SELECT count(*) FROM t.items`) != 3 {
		t.Error("the source no longer opens as it was")
	}
}

// A migration stopped after its copy resumes with the source's newer
// commits (made between the two runs) and its tag; a warehouse that is not
// empty is refused before anything is recorded.
func TestMigrate_ResumeTakesLaterCommits(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	l := migrateSource(t)
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "x"), []byte("x"), 0o644)
	if _, err := Migrate(ctx, l.Root, MigrateOptions{Catalog: url, Warehouse: full}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Migrate into a folder that holds files: %v", err)
	}
	wh := filepath.Join(t.TempDir(), "wh")
	migrateFault = func(string) error { return errStop }
	_, err := Migrate(ctx, l.Root, MigrateOptions{Catalog: url, Warehouse: wh})
	migrateFault = nil
	if !errors.Is(err, errStop) {
		t.Fatalf("Migrate with a stop after the copy: %v", err)
	}
	appendRows(t, l, testTable, "d", "e")
	l.Close()
	res, err := Migrate(ctx, l.Root, MigrateOptions{Catalog: url, Warehouse: wh})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed || res.Snapshots != 3 || res.Tags != 1 || res.Backup == "" {
		t.Errorf("resumed migration: %+v", res)
	}
	m, err := Open(ctx, l.Root)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.shared == nil || m.Warehouse() != wh {
		t.Fatalf("the folder opens %s, want the migrated lake in %s", m.Catalog(), wh)
	}
	if got := queryIntLake(t, m, `SELECT count(*) FROM t.items`); got != 5 {
		t.Errorf("migrated: %d rows, want 5", got)
	}
	if got := queryIntLake(t, m, `SELECT count(*) FROM "t.items@v1"`); got != 2 {
		t.Errorf("migrated tag v1: %d rows, want 2", got)
	}
	appendRows(t, m, testTable, "f")
	if got := queryIntLake(t, m, `SELECT count(*) FROM t.items`); got != 6 {
		t.Errorf("after a commit on the migrated lake: %d rows, want 6", got)
	}
}

// A commit to the source while it is copied (by a process that takes no
// lock) makes the migration fail, naming the table, and leaves the folder
// on its catalog.db; a rerun then migrates the newer state.
func TestMigrate_SourceChangedWhileCopied(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	l := migrateSource(t)
	wh := filepath.Join(t.TempDir(), "wh")
	migrateFault = func(string) error {
		appendRows(t, l, testTable, "late")
		return nil
	}
	_, err := Migrate(ctx, l.Root, MigrateOptions{Catalog: url, Warehouse: wh})
	migrateFault = nil
	if err == nil || !strings.Contains(err.Error(), "table t.items changed while it was migrated") {
		t.Fatalf("Migrate while a commit lands: %v", err)
	}
	if _, err := os.Stat(filepath.Join(l.Root, PointerFile)); err == nil {
		t.Error("a failed migration wrote catalog.json")
	}
	l.Close()
	res, err := Migrate(ctx, l.Root, MigrateOptions{Catalog: url, Warehouse: wh})
	if err != nil {
		t.Fatal(err)
	}
	if res.Snapshots != 3 || res.Tables[0].Rows != 4 {
		t.Errorf("rerun: %+v", res)
	}
}

// A migration finished in the catalog but stopped before the folder was
// switched, after which the source took a commit, is not switched over on
// the rerun: the migrated lake would miss that commit.
func TestMigrate_FinishedThenSourceChanged(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	l := migrateSource(t)
	wh := filepath.Join(t.TempDir(), "wh")
	migrateFault = func(point string) error {
		if point == "finished" {
			return errStop
		}
		return nil
	}
	_, err := Migrate(ctx, l.Root, MigrateOptions{Catalog: url, Warehouse: wh})
	migrateFault = nil
	if !errors.Is(err, errStop) {
		t.Fatalf("Migrate stopped once finished in the catalog: %v", err)
	}
	appendRows(t, l, testTable, "late")
	l.Close()
	_, err = Migrate(ctx, l.Root, MigrateOptions{Catalog: url, Warehouse: wh})
	if err == nil || !strings.Contains(err.Error(), "table t.items changed in catalog.db since") {
		t.Fatalf("rerun after the source changed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(l.Root, PointerFile)); err == nil {
		t.Error("the folder was switched to a catalog that misses a commit")
	}
}
