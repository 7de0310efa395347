package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLI_IngestLakesAndLinks: another lake is skipped while walking and
// refused by name; a file of the lake itself is a reject saying so; a link
// to a folder is listed as not followed, a dangling link as unreadable.
func TestCLI_IngestLakesAndLinks(t *testing.T) {
	dir := t.TempDir()
	f12, o9 := filepath.Join(dir, "f12"), filepath.Join(dir, "in", "o9")
	distill(t, 0, "init", "--lake", f12)
	distill(t, 0, "init", "--lake", o9)
	art := filepath.Join(dir, "in", "a.jsonl")
	if err := os.WriteFile(art, []byte(`{"title":"a","content":"article a"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	distill(t, 0, "--lake", o9, "ingest", art)
	distill(t, 0, "--lake", f12, "ingest", art)

	_, errOut := distill(t, 1, "--lake", f12, "ingest", o9)
	if !strings.Contains(errOut, "is a lake") {
		t.Errorf("ingest of another lake: stderr %q does not say it is a lake", errOut)
	}
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, "in", "gone")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f12, filepath.Join(dir, "in", "lakelink")); err != nil {
		t.Fatal(err)
	}
	out, _ := distill(t, 0, "--lake", f12, "ingest", filepath.Join(dir, "in"))
	for _, want := range []string{
		"2 records from 1 file", "skipped folder " + o9 + " (a lake: query it with distill sql, or export it)",
		"(link to a folder, not followed: give its target path to ingest it)", "unreadable: link cannot be followed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest of a folder holding a lake and links: summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not articles") {
		t.Errorf("links reported as files that are not articles:\n%s", out)
	}

	var own string
	filepath.WalkDir(filepath.Join(f12, "warehouse"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && own == "" && strings.HasSuffix(p, ".parquet") {
			own = p
		}
		return err
	})
	out, _ = distill(t, 0, "--lake", f12, "ingest", own)
	if !strings.Contains(out, "inside_lake") || !strings.Contains(out, "inside the lake") {
		t.Errorf("ingest of the lake's own data file: summary does not say it is inside the lake:\n%s", out)
	}
}
