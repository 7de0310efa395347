package lake

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
)

// lakeFiles lists the files under the lake's warehouse.
func lakeFiles(t *testing.T, l *Lake) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.Walk(filepath.Join(l.Root, WarehouseDir), func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			out[p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newFiles(before, after map[string]bool) []string {
	var out []string
	for p := range after {
		if !before[p] {
			out = append(out, p)
		}
	}
	return out
}

// randomRows is a batch of n rows whose ids are random hex (incompressible)
// of size bytes each.
func randomRows(t *testing.T, sc *arrow.Schema, n, size int) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	buf := make([]byte, size/2)
	for i := 0; i < n; i++ {
		_, _ = rand.Read(buf)
		b.Field(0).(*array.StringBuilder).Append(hex.EncodeToString(buf))
		b.Field(1).(*array.Int64Builder).Append(int64(i))
	}
	return b.NewRecordBatch()
}

func writeAndCommit(ctx context.Context, l *Lake, rec arrow.RecordBatch) error {
	sc, err := l.ArrowSchema(ctx, testTable)
	if err != nil {
		return err
	}
	p, err := l.Write(ctx, testTable, sc, one(rec))
	if err != nil {
		return err
	}
	_, err = p.Commit(ctx, Commit{Stage: "test"})
	return err
}

func itemsTable(t *testing.T, l *Lake) {
	t.Helper()
	if err := l.EnsureTable(context.Background(), testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
}

func countRows(t *testing.T, l *Lake) int64 {
	t.Helper()
	sess, err := l.Session(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	return queryInt(t, sess, "SELECT count(*) FROM t.items")
}

// readOnlyLake opens the lake's catalog read-only, as a catalog.db without
// write permission is (chmod does not stop root, the mode does).
func readOnlyLake(t *testing.T, l *Lake) *Lake {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(l.Root, CatalogFile)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	warehouse := (&url.URL{Scheme: "file", Path: filepath.Join(l.Root, WarehouseDir)}).String()
	cat, err := sqlcat.NewCatalog(catalogName, db, sqlcat.SQLite, iceberg.Properties{"warehouse": warehouse})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &Lake{Root: l.Root, RunID: NewRunID(), db: db, cat: cat}
}

// TestLake_ReadOnlyCatalog: with a catalog that cannot be written, every
// commit fails at once with ErrReadOnly and removes the data and metadata
// files it wrote (it used to retry 40 times and leave 120 metadata files).
func TestLake_ReadOnlyCatalog(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	itemsTable(t, l)
	s1 := appendRows(t, l, testTable, "a", "b")
	appendRows(t, l, testTable, "c")
	ro := readOnlyLake(t, l)
	before := lakeFiles(t, l)
	sc, err := ro.ArrowSchema(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p, err := ro.Write(ctx, testTable, sc, one(recordOf(t, sc, []string{"x", "y"})))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Commit(ctx, Commit{Stage: "test"})
	if !errors.Is(err, ErrReadOnly) || errors.Is(err, ErrCommitConflict) {
		t.Fatalf("commit to a read-only catalog: err = %v, want ErrReadOnly (not retried)", err)
	}
	t.Logf("append: %v after %v", err, time.Since(start))
	if _, err := ro.Tag(ctx, "v1", s1.Ref(), false); !errors.Is(err, ErrReadOnly) {
		t.Errorf("tag: err = %v, want ErrReadOnly", err)
	}
	if _, err := ro.Rollback(ctx, testTable, 1); !errors.Is(err, ErrReadOnly) {
		t.Errorf("rollback: err = %v, want ErrReadOnly", err)
	}
	if _, err := ro.Expire(ctx, testTable, ExpireOptions{Grace: -1}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("expire: err = %v, want ErrReadOnly", err)
	}
	if extra := newFiles(before, lakeFiles(t, l)); len(extra) > 0 {
		t.Errorf("failed commits left %d files: %v", len(extra), extra)
	}
	if got := countRows(t, ro); got != 3 {
		t.Errorf("the read-only lake reads %d rows, want 3", got)
	}
}

func mustSchema(t *testing.T, l *Lake) *arrow.Schema {
	t.Helper()
	sc, err := l.ArrowSchema(context.Background(), testTable)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
