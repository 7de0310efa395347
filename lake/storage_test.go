package lake

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
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

// TestLake_DiskFull fills a real (tmpfs) disk: the write says the disk is
// full and removes what it wrote, so the next write fails the same way
// (it used to say "writer is closed" over the leftover files) and a write
// that fits then lands; expire on a full disk fails at once with the same
// error (it used to retry 40 times and leave 40 files).
func TestLake_DiskFull(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs; TestLake_WriteFaults covers the same by fault injection")
	}
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); TestLake_WriteFaults covers the same by fault injection", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	ctx := context.Background()
	l, err := Create(ctx, filepath.Join(dir, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	itemsTable(t, l)
	sc, err := l.ArrowSchema(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeAndCommit(ctx, l, randomRows(t, sc, 100, 100)); err != nil {
		t.Fatal(err)
	}
	if err := writeAndCommit(ctx, l, randomRows(t, sc, 100, 100)); err != nil {
		t.Fatal(err)
	}
	before := lakeFiles(t, l)
	for i := 0; i < 2; i++ {
		err := writeAndCommit(ctx, l, randomRows(t, sc, 16000, 1000)) // 8 MB of Parquet > 4 MB
		if !errors.Is(err, ErrDiskFull) || strings.Contains(err.Error(), "writer is closed") {
			t.Fatalf("write %d on a full disk: err = %v, want ErrDiskFull naming the cause", i+1, err)
		}
		if extra := newFiles(before, lakeFiles(t, l)); len(extra) > 0 {
			t.Fatalf("write %d on a full disk left %d files: %v", i+1, len(extra), extra)
		}
	}
	if err := writeAndCommit(ctx, l, randomRows(t, sc, 100, 100)); err != nil {
		t.Fatalf("a write that fits, after the failed ones: %v", err)
	}

	// Fill the disk to the last byte, then expire.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for n := len(chunk); n > 0; n /= 2 {
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
	f.Close()
	before = lakeFiles(t, l)
	start := time.Now()
	_, err = l.Expire(ctx, testTable, ExpireOptions{Grace: -1})
	if !errors.Is(err, ErrDiskFull) || errors.Is(err, ErrCommitConflict) {
		t.Fatalf("expire on a full disk: err = %v, want ErrDiskFull (not retried)", err)
	}
	if extra := newFiles(before, lakeFiles(t, l)); len(extra) > 0 {
		t.Errorf("expire on a full disk left %d files: %v", len(extra), extra)
	}
	t.Logf("expire on a full disk failed in %v: %v", time.Since(start), err)
	os.Remove(filler)
	if _, err := l.Expire(ctx, testTable, ExpireOptions{Grace: -1}); err != nil {
		t.Fatalf("expire once there is space: %v", err)
	}
	if got := countRows(t, l); got != 300 {
		t.Errorf("t.items has %d rows, want 300", got)
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

// TestLake_WriteFaults injects a full disk at the file-write layer (works
// on every platform and without root): a failed data write and a failed
// commit both say ErrDiskFull with the file, leave no file behind and do not
// retry; the table is unchanged and the next write lands.
func TestLake_WriteFaults(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	itemsTable(t, l)
	appendRows(t, l, testTable, "a", "b")
	t.Cleanup(func() { writeFault = nil })
	for _, where := range []string{"/data/", "/metadata/"} {
		t.Run(strings.Trim(where, "/"), func(t *testing.T) {
			before := lakeFiles(t, l)
			writeFault = func(p string) error {
				if strings.Contains(filepath.ToSlash(p), where) {
					return syscall.ENOSPC
				}
				return nil
			}
			err := writeAndCommit(ctx, l, recordOf(t, mustSchema(t, l), []string{"x", "y", "z"}))
			writeFault = nil
			if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), where) {
				t.Fatalf("err = %v, want ErrDiskFull naming a file under %s", err, where)
			}
			if extra := newFiles(before, lakeFiles(t, l)); len(extra) > 0 {
				t.Errorf("left %d files: %v", len(extra), extra)
			}
			if got := countRows(t, l); got != 2 {
				t.Errorf("t.items has %d rows, want 2", got)
			}
		})
	}
	appendRows(t, l, testTable, "c")
	if got := countRows(t, l); got != 3 {
		t.Errorf("after the faults, t.items has %d rows, want 3", got)
	}

	// Compaction on a full disk: the half-written file goes too.
	before := lakeFiles(t, l)
	writeFault = func(p string) error {
		if strings.Contains(filepath.ToSlash(p), "/data/") {
			return syscall.ENOSPC
		}
		return nil
	}
	_, err := l.Compact(ctx, testTable, CompactOptions{})
	writeFault = nil
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("compact on a full disk: err = %v, want ErrDiskFull", err)
	}
	if extra := newFiles(before, lakeFiles(t, l)); len(extra) > 0 {
		t.Errorf("compact on a full disk left %d files: %v", len(extra), extra)
	}
	if res, err := l.Compact(ctx, testTable, CompactOptions{}); err != nil || res.Rows != 3 || res.FilesAfter != 1 {
		t.Errorf("compact once there is space: %+v, %v", res, err)
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
