package lake

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkReadOnly opens dir (which must open read-only), checks that it reads
// as want, that every kind of write is refused with ErrReadOnly naming the
// lake, and that no file under dir was added, removed or changed.
func checkReadOnly(t *testing.T, dir, want string) {
	t.Helper()
	ctx := context.Background()
	before := filesUnder(t, dir)
	l, err := Open(ctx, dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if ro, _ := l.ReadOnly(); !ro {
		t.Fatal("lake opened writable")
	}
	if got := fingerprint(t, l); got != want {
		t.Fatalf("read-only lake reads:\n%s\nwant:\n%s", got, want)
	}
	refused := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s: err = %v, want ErrReadOnly naming the lake", what, err)
		}
	}
	sc, err := l.ArrowSchema(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Write(ctx, testTable, sc, one(nil))
	refused("Write", err)
	_, err = l.Tag(ctx, "second", Ref{TableName: testTable, At: "2"}, false)
	refused("Tag", err)
	_, err = l.Rollback(ctx, testTable, 1)
	refused("Rollback", err)
	err = l.EnsureTable(ctx, TableName{Namespace: "new", Table: "t"}, Schema{{Name: "id", Type: String}})
	refused("EnsureTable", err)
	_, err = l.Lock(ctx, "ingest", nil)
	refused("Lock", err)
	_, err = l.Compact(ctx, testTable, CompactOptions{MinInputFiles: 2})
	refused("Compact", err)
	_, err = l.Expire(ctx, testTable, ExpireOptions{})
	refused("Expire", err)
	overlay := l.overlayDir
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if overlay != "" && fileExists(overlay) {
		t.Errorf("Close left the temporary copy %s", overlay)
	}
	after := filesUnder(t, dir)
	for p, v := range after {
		// Forced read-only on a writable folder, SQLite may make its
		// -wal and -shm (empty) to read safely beside a writer.
		if os.Getenv(ReadOnlyEnv) == "1" && writableDir(dir) && (strings.HasSuffix(p, "-wal") || strings.HasSuffix(p, "-shm")) {
			continue
		}
		if before[p] != v {
			t.Errorf("read-only open changed or added %s", p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("read-only open removed %s", p)
		}
	}
}

func TestOpen_ReadOnly(t *testing.T) {
	t.Run("forced", func(t *testing.T) {
		dir, want := buildLake(t)
		t.Setenv(ReadOnlyEnv, "1")
		checkReadOnly(t, dir, want)
	})
	t.Run("chmod", func(t *testing.T) {
		dir, want := buildLake(t)
		chmodTree(t, dir, false)
		t.Cleanup(func() { chmodTree(t, dir, true) })
		checkReadOnlyAs(t, dir, want)
	})
	t.Run("chmod after a crash", func(t *testing.T) {
		// A writer killed with -9 leaves catalog.db-wal and -shm holding
		// its last commit: the read-only open must read through them.
		dir, _ := buildLake(t)
		want := crashedWriter(t, dir)
		if !fileExists(filepath.Join(dir, CatalogFile+"-wal")) {
			t.Fatal("the killed writer left no catalog.db-wal")
		}
		chmodTree(t, dir, false)
		t.Cleanup(func() { chmodTree(t, dir, true) })
		checkReadOnlyAs(t, dir, want)
	})
	t.Run("beside a writer", func(t *testing.T) {
		// A writer holds the catalog open (its -wal and -shm exist): a
		// read-only open reads through the WAL and sees every commit.
		ctx := context.Background()
		dir, _ := buildLake(t)
		w, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		appendRows(t, w, testTable, "late")
		want := fingerprint(t, w)
		t.Setenv(ReadOnlyEnv, "1")
		r, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if got := fingerprint(t, r); got != want {
			t.Fatalf("reader sees:\n%s\nwant:\n%s", got, want)
		}
		appendRows(t, w, testTable, "later")
		if got := queryIntLake(t, r, `SELECT count(*) FROM t.items`); got != 9 {
			t.Errorf("reader sees %d rows after the writer's next commit, want 9", got)
		}
	})
	t.Run("moved", func(t *testing.T) {
		// A read-only lake cannot be rewritten: it is read through a
		// rewritten temporary copy of its catalog and metadata.
		dir, want := buildLake(t)
		moved := dir + "2"
		if err := os.Rename(dir, moved); err != nil {
			t.Fatal(err)
		}
		t.Setenv(ReadOnlyEnv, "1")
		checkReadOnly(t, moved, want)
	})
	t.Run("chmod copy", func(t *testing.T) {
		dir, want := buildLake(t)
		cp := filepath.Join(filepath.Dir(dir), "copy")
		copyTree(t, dir, cp)
		if err := os.Rename(dir, dir+".away"); err != nil { // a read of the original's paths fails
			t.Fatal(err)
		}
		chmodTree(t, cp, false)
		t.Cleanup(func() { chmodTree(t, cp, true) })
		checkReadOnlyAs(t, cp, want)
	})
}

func chmodTree(t *testing.T, dir string, writable bool) {
	t.Helper()
	var paths []string
	_ = filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
		paths = append(paths, p)
		return nil
	})
	if !writable { // files before their folders
		for i, j := 0, len(paths)-1; i < j; i, j = i+1, j-1 {
			paths[i], paths[j] = paths[j], paths[i]
		}
	}
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		mode := fi.Mode().Perm() &^ 0o222
		if writable {
			mode |= 0o200
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
}
