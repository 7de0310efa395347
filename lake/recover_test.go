package lake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// buildLake makes a closed lake in a temporary folder with three tables in two
// namespaces, several snapshots and a tag, and returns its folder and
// fingerprint.
func buildLake(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "lake")
	l, err := Create(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	other := TableName{Namespace: "u", Table: "more"}
	named := TableName{Namespace: "u", Table: "data"} // a table folder named like the data/ folders
	for _, n := range []TableName{testTable, other, named} {
		if err := l.EnsureTable(ctx, n, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
			t.Fatal(err)
		}
	}
	s1 := appendRows(t, l, testTable, "a", "b")
	appendRows(t, l, testTable, "c")
	appendRows(t, l, other, "x", "y", "z")
	appendRows(t, l, named, "p")
	appendRows(t, l, testTable, "d", "e", "f", "g")
	if _, err := l.Tag(ctx, "first", s1.Ref(), false); err != nil {
		t.Fatal(err)
	}
	want := fingerprint(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, want
}

// fingerprint is every table with every snapshot (sequence number, id,
// rows, tags) and the rows DuckDB reads at each snapshot and tag.
func fingerprint(t *testing.T, l *Lake) string {
	t.Helper()
	ctx := context.Background()
	tables, err := l.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, ti := range tables {
		snaps, err := l.Snapshots(ctx, ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s rows=%d count=%d\n", ti.Name, ti.Rows, queryIntLake(t, l, "SELECT count(*) FROM "+ti.Name.String()))
		for _, s := range snaps {
			n := queryIntLake(t, l, fmt.Sprintf(`SELECT count(*) FROM "%s@%d"`, ti.Name, s.Seq))
			fmt.Fprintf(&b, "  @%d id=%d total=%d read=%d tags=%v current=%v\n", s.Seq, s.ID, s.TotalRows, n, s.Tags, s.Current)
			for _, tag := range s.Tags {
				fmt.Fprintf(&b, "  @%s read=%d\n", tag, queryIntLake(t, l, fmt.Sprintf(`SELECT count(*) FROM "%s@%s"`, ti.Name, tag)))
			}
		}
	}
	return b.String()
}

func openFingerprint(t *testing.T, dir string) string {
	t.Helper()
	l, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fingerprint(t, l)
}

func TestOpen_LostCatalog(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		lose func(path string) error
	}{
		{"zero bytes", func(p string) error { return os.Truncate(p, 0) }},
		{"deleted", os.Remove},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, want := buildLake(t)
			cat := filepath.Join(dir, CatalogFile)
			if err := c.lose(cat); err != nil {
				t.Fatal(err)
			}
			// A -wal left by the lost catalog must not be replayed into the new one.
			if err := os.WriteFile(cat+"-wal", []byte("stale"), 0o644); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Stat(cat)
			_, err := Open(ctx, dir)
			var lost *CatalogLostError
			if !errors.Is(err, ErrCatalogLost) || !errors.As(err, &lost) || !strings.Contains(err.Error(), "distill recover") || !strings.Contains(err.Error(), dir) {
				t.Fatalf("Open: err = %v, want ErrCatalogLost naming the lake and distill recover", err)
			}
			if lost.Tables != 3 {
				t.Errorf("error counts %d tables, want 3", lost.Tables)
			}
			if _, err := Create(ctx, dir); !errors.Is(err, ErrCatalogLost) {
				t.Fatalf("Create: err = %v, want ErrCatalogLost", err)
			}
			after, _ := os.Stat(cat)
			if (before == nil) != (after == nil) || (after != nil && after.Size() != 0) {
				t.Fatalf("refusing changed catalog.db: before %v, after %v", before, after)
			}
			res, err := Recover(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if !fileExists(cat + "-wal.lost") {
				t.Error("recover did not set the stale catalog.db-wal aside")
			}
			if res.Registered() != 3 {
				t.Errorf("recover registered %d tables, want 3: %+v", res.Registered(), res.Tables)
			}
			for _, rt := range res.Tables {
				if rt.Name == testTable && (rt.Snapshots != 3 || rt.Rows != 7 || len(rt.Tags) != 1) {
					t.Errorf("recovered %+v, want 3 snapshots, 7 rows, tag first", rt)
				}
			}
			if got := openFingerprint(t, dir); got != want {
				t.Fatalf("after recover:\n%s\nwant:\n%s", got, want)
			}
			again, err := Recover(ctx, dir)
			if err != nil || again.Registered() != 0 {
				t.Fatalf("second recover: registered %v, err %v; want 0, nil", again, err)
			}
			if got := openFingerprint(t, dir); got != want {
				t.Fatalf("after a second recover:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestCreate_RefusesWarehouseWithTables(t *testing.T) {
	dir, _ := buildLake(t)
	if err := os.Remove(filepath.Join(dir, CatalogFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(context.Background(), dir); !errors.Is(err, ErrCatalogLost) {
		t.Fatalf("Create: err = %v, want ErrCatalogLost", err)
	}
	if fileExists(filepath.Join(dir, CatalogFile)) {
		t.Fatal("Create made a catalog.db beside a warehouse with tables")
	}
}

func TestRecover_RefusesDifferentCatalog(t *testing.T) {
	ctx := context.Background()
	dir, want := buildLake(t)
	l, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	// Point the catalog at an older metadata file of t.items.
	var prev string
	if err := l.db.QueryRowContext(ctx, `SELECT previous_metadata_location FROM iceberg_tables WHERE table_name = 'items'`).Scan(&prev); err != nil {
		t.Fatal(err)
	}
	var cur string
	if err := l.db.QueryRowContext(ctx, `SELECT metadata_location FROM iceberg_tables WHERE table_name = 'items'`).Scan(&cur); err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.ExecContext(ctx, `UPDATE iceberg_tables SET metadata_location = ? WHERE table_name = 'items'`, prev); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := Recover(ctx, dir); !errors.Is(err, ErrRecoverConflict) {
		t.Fatalf("Recover: err = %v, want ErrRecoverConflict", err)
	}
	l, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.ExecContext(ctx, `UPDATE iceberg_tables SET metadata_location = ? WHERE table_name = 'items'`, cur); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if res, err := Recover(ctx, dir); err != nil || res.Registered() != 0 {
		t.Fatalf("Recover of a matching catalog: %v, %v; want nothing registered", res, err)
	}
	if got := openFingerprint(t, dir); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// TestRecover_PassesOverUncommittedMetadata: a writer that crashed after
// writing its next metadata file (here: one whose manifest list was never
// written) must not win over the last committed one.
func TestRecover_PassesOverUncommittedMetadata(t *testing.T) {
	ctx := context.Background()
	dir, want := buildLake(t)
	metaDir := filepath.Join(dir, WarehouseDir, "t.db", "items", "metadata")
	entries, err := os.ReadDir(metaDir)
	if err != nil {
		t.Fatal(err)
	}
	var newest string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".metadata.json") && e.Name() > newest {
			newest = e.Name()
		}
	}
	b, err := os.ReadFile(filepath.Join(metaDir, newest))
	if err != nil {
		t.Fatal(err)
	}
	fake := strings.ReplaceAll(string(b), "/snap-", "/snap-never-written-")
	if fake == string(b) {
		t.Fatal("no manifest list to point elsewhere")
	}
	if err := os.WriteFile(filepath.Join(metaDir, "99999-00000000-0000-0000-0000-000000000000.metadata.json"), []byte(fake), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, CatalogFile)); err != nil {
		t.Fatal(err)
	}
	res, err := Recover(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range res.Tables {
		if rt.Name == testTable && (len(rt.Skipped) != 1 || !strings.HasPrefix(filepath.Base(rt.Skipped[0]), "99999-")) {
			t.Errorf("t.items: skipped %v, want the uncommitted 99999- file", rt.Skipped)
		}
	}
	if got := openFingerprint(t, dir); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// TestRecover_MissingTable: a catalog that lost one table's row (an older
// catalog.db put back) keeps the others and gets the missing one back.
func TestRecover_MissingTable(t *testing.T) {
	ctx := context.Background()
	dir, want := buildLake(t)
	l, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.ExecContext(ctx, `DELETE FROM iceberg_tables WHERE table_name = 'more'`); err != nil {
		t.Fatal(err)
	}
	l.Close()
	res, err := Recover(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Registered() != 1 || len(res.Tables) != 3 {
		t.Errorf("registered %d of %d tables, want 1 of 3", res.Registered(), len(res.Tables))
	}
	if got := openFingerprint(t, dir); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
