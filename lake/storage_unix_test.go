//go:build unix

package lake

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLake_DiskFull fills a real (tmpfs) disk: the write says the disk is
// full and removes what it wrote, so the next write fails the same way
// (it used to say "writer is closed" over the leftover files) and a write
// that fits then lands; expire on a full disk fails at once with the same
// error (it used to retry 40 times and leave 40 files).
func TestLake_DiskFull(t *testing.T) {
	dir := smallDisk(t, "4m", "; TestLake_WriteFaults covers the same by fault injection")
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
	for _, c := range []struct {
		where string
		errno syscall.Errno
		want  error
	}{
		{"/data/", syscall.ENOSPC, ErrDiskFull},
		{"/metadata/", syscall.ENOSPC, ErrDiskFull},
		{"/data/", syscall.EROFS, ErrReadOnly},
		{"/metadata/", syscall.EACCES, ErrReadOnly},
	} {
		where := c.where
		t.Run(strings.Trim(where, "/")+" "+c.errno.Error(), func(t *testing.T) {
			before := lakeFiles(t, l)
			writeFault = func(p string) error {
				if strings.Contains(filepath.ToSlash(p), where) {
					return c.errno
				}
				return nil
			}
			err := writeAndCommit(ctx, l, recordOf(t, mustSchema(t, l), []string{"x", "y", "z"}))
			writeFault = nil
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), where) {
				t.Fatalf("err = %v, want %v naming a file under %s", err, c.want, where)
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

// smallDisk mounts a tmpfs of size (a real disk that fills up) for the
// test, unmounted at its end; it skips, saying why (plus note), where it
// cannot: not Linux, not root, or mount refused.
func smallDisk(t *testing.T, size, note string) string {
	t.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs" + note)
	}
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)%s", err, out, note)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	return dir
}
