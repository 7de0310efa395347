//go:build unix

package lake

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpen_FullDiskReads: on a disk filled to the last byte, opening the
// lake used to fail, even to read and with DISTILL_READ_ONLY=1, with
// SQLite's bare "disk I/O error (4874)" (its -shm could not grow). A lake
// with no WAL to read now opens to read (immutable), and a write says
// ErrDiskFull.
func TestOpen_FullDiskReads(t *testing.T) {
	dir := smallDisk(t, "3m", "")
	ctx := context.Background()
	lk := filepath.Join(dir, "lake")
	l, err := Create(ctx, lk)
	if err != nil {
		t.Fatal(err)
	}
	itemsTable(t, l)
	appendRows(t, l, testTable, "a", "b", "c")
	wal, err := os.ReadFile(filepath.Join(lk, CatalogFile+"-wal")) // a WAL as a running writer leaves it
	if err != nil || len(wal) == 0 {
		t.Fatalf("no -wal beside an open catalog (%d bytes, %v)", len(wal), err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if fileExists(filepath.Join(lk, CatalogFile+"-shm")) {
		t.Fatal("closing the lake left a -shm: the test needs SQLite to make one")
	}
	// Leave room for the WAL put back below, then fill the disk.
	if err := os.WriteFile(filepath.Join(dir, "room"), wal, 0o644); err != nil {
		t.Fatal(err)
	}
	fill(t, filepath.Join(dir, "filler"))
	for _, env := range []string{"", "1"} {
		t.Run("DISTILL_READ_ONLY="+env, func(t *testing.T) {
			t.Setenv(ReadOnlyEnv, env)
			l, err := Open(ctx, lk)
			if err != nil {
				t.Fatalf("Open on a full disk: %v", err)
			}
			defer l.Close()
			if n := queryIntLake(t, l, "SELECT count(*) FROM t.items"); n != 3 {
				t.Errorf("read %d rows on a full disk, want 3", n)
			}
			err = l.EnsureTable(ctx, TableName{Namespace: "t", Table: "new"}, Schema{{Name: "id", Type: String}})
			want := ErrDiskFull
			if env == "1" {
				want = ErrReadOnly
			}
			if !errors.Is(err, want) {
				t.Errorf("a write on a full disk: err = %v, want %v", err, want)
			}
		})
	}
	// With a WAL to read, the file alone is not the catalog: the error says
	// the disk is full, and SQLite needs space to open the catalog.
	if err := os.Remove(filepath.Join(dir, "room")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lk, CatalogFile+"-wal"), wal, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, lk)
	if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "SQLite needs space") {
		t.Fatalf("Open on a full disk with a WAL to read: err = %v, want ErrDiskFull saying SQLite needs space", err)
	}
	// Once there is space, what the failed opens left (a short -shm, an
	// empty -wal) is no obstacle: the lake opens to write.
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	l, err = Open(ctx, lk)
	if err != nil {
		t.Fatalf("Open once there is space: %v", err)
	}
	defer l.Close()
	appendRows(t, l, testTable, "d")
	if n := queryIntLake(t, l, "SELECT count(*) FROM t.items"); n != 4 {
		t.Errorf("read %d rows after a write once there is space, want 4", n)
	}
}

// fill writes FILE until the disk is full to the last byte.
func fill(t *testing.T, file string) {
	t.Helper()
	f, err := os.Create(file)
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
}
