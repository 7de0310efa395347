package ingest

import (
	"os"
	"path/filepath"
	"testing"
)

// A folder that cannot be listed is a reject naming it; its siblings are
// still read. (As root, chmod cannot make a folder unreadable, so the
// failure is injected at the one call that lists folders.)
func TestExpand_UnreadableFolder(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"in/a.txt", "in/locked/b.txt", "in/z/c.txt"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("T\nb\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	locked := filepath.Join(dir, "in", "locked")
	readDir := func(p string) ([]os.DirEntry, error) {
		if p == locked {
			return nil, os.ErrPermission
		}
		return os.ReadDir(p)
	}
	ex, err := expand([]string{filepath.Join(dir, "in")}, "", filepath.Join(dir, "lake"), readDir)
	if err != nil {
		t.Fatalf("expand: %v", err)
	}
	if len(ex.inputs) != 2 {
		t.Errorf("inputs = %+v, want a.txt and z/c.txt", ex.inputs)
	}
	if len(ex.rejects) != 1 || ex.rejects[0].File != displayPath(locked) || ex.rejects[0].Reason != ReasonUnreadable {
		t.Errorf("rejects = %+v, want one unreadable reject naming %s", ex.rejects, locked)
	}
}
