package lake

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// metadataFiles lists the *.metadata.json files under the lake's warehouse.
func metadataFiles(t *testing.T, dir string) []string {
	t.Helper()
	ts, err := findWarehouseTables(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, wt := range ts {
		out = append(out, wt.metas...)
	}
	return out
}

// TestEnsureTable_RefusesTableFolderWithMetadata: a catalog that lost one
// table's row (others still registered) must not create a new, empty table
// over the old one's folder (it used to: the next ingest started a new
// corpus.raw with 1 row beside 3001 rows of history, and recover then
// refused). EnsureTable refuses with ErrCatalogLost naming the table and
// recover; Recover then re-registers it with its history.
func TestEnsureTable_RefusesTableFolderWithMetadata(t *testing.T) {
	ctx := context.Background()
	dir, want := buildLake(t)
	l, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.ExecContext(ctx, `DELETE FROM iceberg_tables WHERE table_name = 'items'`); err != nil {
		t.Fatal(err)
	}
	before := metadataFiles(t, dir)
	err = l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}})
	l.Close()
	if !errors.Is(err, ErrCatalogLost) || !strings.Contains(err.Error(), testTable.String()) || !strings.Contains(err.Error(), "distill recover --lake "+dir) {
		t.Fatalf("EnsureTable over a table folder with metadata: err = %v, want ErrCatalogLost naming %s and distill recover", err, testTable)
	}
	if after := metadataFiles(t, dir); len(after) != len(before) {
		t.Fatalf("refusing wrote metadata: %d files before, %d after", len(before), len(after))
	}
	res, err := Recover(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Registered() != 1 || len(res.Tables) != 3 {
		t.Errorf("registered %d of %d tables, want 1 of 3", res.Registered(), len(res.Tables))
	}
	if got := openFingerprint(t, dir); got != want {
		t.Fatalf("after recover:\n%s\nwant:\n%s", got, want)
	}
}

// TestOpen_CorruptCatalog: a catalog.db overwritten with random bytes or
// truncated used to fail with SQLite's bare "file is not a database (26)" or
// "database disk image is malformed (11)", and recover failed the same way.
// Open now says ErrCatalogCorrupt and what to do; Recover moves the corrupt
// file (and its -wal/-shm) aside, never deleting it, and rebuilds the
// catalog from the warehouse.
func TestOpen_CorruptCatalog(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		corrupt func(t *testing.T, p string)
	}{
		{"random bytes", func(t *testing.T, p string) {
			b := make([]byte, 8192)
			rand.Read(b)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			// A -wal beside it goes aside with it.
			if err := os.WriteFile(p+"-wal", b[:100], 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated", func(t *testing.T, p string) {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(p, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"header damaged", func(t *testing.T, p string) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			rand.Read(b[4096 : 4096+2048]) // the second page: sqlite_master's children
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, want := buildLake(t)
			cat := filepath.Join(dir, CatalogFile)
			c.corrupt(t, cat)
			damaged, _ := os.ReadFile(cat)
			_, err := Open(ctx, dir)
			if !errors.Is(err, ErrCatalogCorrupt) || !strings.Contains(err.Error(), "distill recover --lake "+dir) || !strings.Contains(err.Error(), CatalogFile+".corrupt") {
				t.Fatalf("Open: err = %v, want ErrCatalogCorrupt saying to move it aside and run distill recover", err)
			}
			if now, _ := os.ReadFile(cat); !bytes.Equal(now, damaged) {
				t.Fatal("Open changed the corrupt catalog.db")
			}
			if c.name == "random bytes" && !fileExists(cat+"-wal") {
				t.Fatal("Open deleted the -wal beside the corrupt catalog.db")
			}
			res, err := Recover(ctx, dir)
			if err != nil {
				t.Fatalf("Recover: %v", err)
			}
			if len(res.MovedAside) == 0 || !strings.HasSuffix(res.MovedAside[0], CatalogFile+".corrupt") {
				t.Fatalf("Recover moved aside %v, want catalog.db.corrupt", res.MovedAside)
			}
			if kept, _ := os.ReadFile(res.MovedAside[0]); !bytes.Equal(kept, damaged) {
				t.Fatal("the corrupt catalog was not kept as it was")
			}
			if hadWAL := c.name == "random bytes"; hadWAL && (len(res.MovedAside) < 2 || !strings.HasSuffix(res.MovedAside[1], CatalogFile+".corrupt-wal")) {
				t.Errorf("Recover moved aside %v, want the -wal too, as catalog.db.corrupt-wal", res.MovedAside)
			}
			if res.Registered() != 3 {
				t.Errorf("recover registered %d tables, want 3", res.Registered())
			}
			if got := openFingerprint(t, dir); got != want {
				t.Fatalf("after recover:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestEnsureTable_ConcurrentCreate: two lakes (as two processes would)
// creating the same new tables at once both succeed: the one that loses
// the race must not mistake the other's fresh metadata for a lost table.
func TestEnsureTable_ConcurrentCreate(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "lake")
	a, err := Create(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sc := Schema{{Name: "id", Type: String}}
	for i := 0; i < 20; i++ {
		name := TableName{Namespace: "c", Table: "t" + strconv.Itoa(i)}
		errs := make(chan error, 2)
		for _, l := range []*Lake{a, b} {
			go func() { errs <- l.EnsureTable(ctx, name, sc) }()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	if got := len(metadataFiles(t, dir)); got != 20 {
		t.Errorf("%d metadata files for 20 tables, want 20", got)
	}
}

// A process killed while creating a table leaves the table's first
// metadata file (no snapshot) without its catalog row. That is not a table
// the catalog lost: there is no history to hide, so the next run creates
// the table again and writes, where it used to stop at "run distill
// recover" (found by the stage conformance suite's kill -9 of a first
// ingest). The same lake with a catalog that registers nothing opens.
func TestEnsureTable_AfterACreatorWasKilled(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := Create(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s := Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}
	if err := l.EnsureTable(ctx, testTable, s); err != nil {
		t.Fatal(err)
	}
	// What the kill leaves: the metadata, no catalog row.
	if _, err := l.db.ExecContext(ctx, `DELETE FROM iceberg_tables WHERE table_name = ?`, testTable.Table); err != nil {
		t.Fatal(err)
	}
	l.Close()
	metas := metadataFiles(t, dir)
	if len(metas) == 0 {
		t.Fatal("no metadata file left behind: the test does not stage the crash")
	}
	// Killed while writing its first metadata file: the file is cut short.
	b, err := os.ReadFile(metas[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(metas[0], b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	l, err = Open(ctx, dir)
	if err != nil {
		t.Fatalf("Open after a creator was killed: %v", err)
	}
	defer l.Close()
	if err := l.EnsureTable(ctx, testTable, s); err != nil {
		t.Fatalf("EnsureTable after a creator was killed: %v", err)
	}
	p, err := l.WriteRows(ctx, testTable, func(rb *RowBuilder) error {
		rb.String("id", "a")
		rb.Long("n", 1)
		rb.EndRow()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(ctx, Commit{Stage: "test"}); err != nil {
		t.Fatal(err)
	}
}
