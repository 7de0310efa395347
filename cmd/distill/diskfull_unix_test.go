//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
)

// TestCLI_FullDiskReads is the QA repro: on a disk filled to the last byte
// sql and tables failed with "disk I/O error (4874)" (SQLite's -shm could
// not grow), DISTILL_READ_ONLY=1 too. They now read; a write says the disk
// is full.
func TestCLI_FullDiskReads(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := filepath.Join(t.TempDir(), "full")
	os.Mkdir(dir, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	lk := filepath.Join(dir, "L")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/ag_news/test.csv"))
	if out, err := exec.Command("dd", "if=/dev/zero", "of="+filepath.Join(dir, "filler"), "bs=4k").CombinedOutput(); err == nil {
		t.Fatalf("dd filled nothing: %s", out)
	}
	for _, ro := range []string{"", "1"} {
		t.Setenv("DISTILL_READ_ONLY", ro)
		out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", "SELECT count(*) FROM corpus.raw")
		if !strings.Contains(out, "7600") {
			t.Errorf("DISTILL_READ_ONLY=%s: sql on a full disk printed %q, want 7600", ro, out)
		}
		distill(t, 0, "--lake", lk, "tables")
	}
	t.Setenv("DISTILL_READ_ONLY", "")
	z := filepath.Join(t.TempDir(), "z.jsonl")
	os.WriteFile(z, []byte(`{"id":"z1","title":"t","content":"c"}`+"\n"), 0o644)
	if _, errOut := distill(t, 1, "--lake", lk, "ingest", z); !strings.Contains(errOut, "disk full: free space and rerun") {
		t.Errorf("ingest on a full disk: stderr %q, want disk full", errOut)
	}
}
