package ingest_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
)

// newLakeAt makes a lake in dir holding one ingested article, so its
// warehouse has Parquet data, metadata and a journal.
func newLakeAt(t *testing.T, dir string) *lake.Lake {
	t.Helper()
	l, err := lake.Create(context.Background(), dir)
	must(t, err)
	t.Cleanup(func() { l.Close() })
	src := write(t, t.TempDir(), "seed.jsonl", `{"title":"seed","content":"in `+filepath.Base(dir)+`"}`+"\n")
	run(t, l, ingest.Options{Paths: []string{src}})
	return l
}

// dataFile returns one Parquet data file of the lake's warehouse.
func dataFile(t *testing.T, l *lake.Lake) string {
	t.Helper()
	var found string
	must(t, filepath.WalkDir(filepath.Join(l.Root, "warehouse"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && found == "" && strings.HasSuffix(p, ".parquet") && strings.Contains(p, string(filepath.Separator)+"data"+string(filepath.Separator)) {
			found = p
		}
		return err
	}))
	if found == "" {
		t.Fatalf("no Parquet data file under %s", l.Root)
	}
	return found
}

// A folder holding another lake (catalog.db beside warehouse/) or a bare
// Iceberg table folder (metadata/*.metadata.json) is not walked: it is listed
// as skipped, a lake; given by name, it is refused with an error.
func TestRun_SkipsOtherLakes(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "in/a.jsonl", `{"title":"a","content":"article a"}`+"\n")
	other := newLakeAt(t, filepath.Join(dir, "in", "o9"))
	write(t, other.Root, "models/m.json", `[{"title":"not","content":"an article"}]`)
	write(t, dir, "in/tbl/metadata/00000-x.metadata.json", `{"format-version":2}`)
	must(t, os.MkdirAll(filepath.Join(dir, "in/tbl/data"), 0o755))
	writeStrings(t, filepath.Join(dir, "in/tbl/data/x.parquet"), []string{"title", "content"}, [][]string{{"row", "of a table"}})

	l := testutil.NewLake(t)
	res := run(t, l, ingest.Options{Paths: []string{filepath.Join(dir, "in")}})
	wantCounts(t, res, 1, 0, 0)
	if res.RowsIn != 1 || res.Files != 1 {
		t.Errorf("rows_in %d from %d files, want 1 from 1 (a.jsonl only)", res.RowsIn, res.Files)
	}
	for _, name := range []string{"o9", "tbl"} {
		if !slices.ContainsFunc(res.SkippedFolders, func(s string) bool {
			return strings.Contains(s, string(filepath.Separator)+name+" (a lake: query it with distill sql, or export it)")
		}) {
			t.Errorf("skipped folders = %q, want %s listed as a lake", res.SkippedFolders, name)
		}
	}

	for _, p := range []string{other.Root, filepath.Join(other.Root, "warehouse"), filepath.Join(dir, "in/tbl"), dataFile(t, other)} {
		_, err := ingest.Run(context.Background(), l, ingest.Options{Paths: []string{p}})
		if !errors.Is(err, ingest.ErrLakeInput) || !strings.Contains(err.Error(), "lake") {
			t.Errorf("ingest %s: err = %v, want ErrLakeInput", p, err)
		}
	}
	if n := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.raw`); n != 1 {
		t.Errorf("rows after refused ingests = %d, want 1", n)
	}
}

// A path inside the current lake, given by name or through a symlink (also
// one met while walking a folder), is a reject saying so; the other paths
// still ingest.
func TestRun_RefusesPathsInsideTheLake(t *testing.T) {
	dir := t.TempDir()
	l := newLakeAt(t, filepath.Join(dir, "w"))
	own := dataFile(t, l)
	must(t, os.Symlink(own, filepath.Join(dir, "link.parquet")))
	b := write(t, dir, "b.jsonl", `{"title":"b","content":"article b"}`+"\n")
	write(t, dir, "in/c.jsonl", `{"title":"c","content":"article c"}`+"\n")
	must(t, os.Symlink(own, filepath.Join(dir, "in/own.parquet")))
	res := run(t, l, ingest.Options{Paths: []string{own, filepath.Join(dir, "link.parquet"), filepath.Join(l.Root, "warehouse"), b, filepath.Join(dir, "in")}})
	wantCounts(t, res, 2, 4, 0)
	got := testutil.QueryStrings(t, l, `SELECT reason FROM corpus.rejects`)
	if want := slices.Repeat([]string{ingest.ReasonInsideLake}, 4); !slices.Equal(got, want) {
		t.Errorf("reasons = %q, want %q", got, want)
	}
	for _, rj := range res.Rejects {
		if !strings.Contains(rj.Detail, "inside the lake") {
			t.Errorf("reject %+v does not say the path is inside the lake", rj)
		}
	}
	if n := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.rejects WHERE file = '`+filepath.ToSlash(own)+`'`); n != 3 {
		t.Errorf("rejects naming %s = %d, want 3 (by name and through two links)", own, n)
	}
}

// A symlink to a folder is not followed and is listed as such; a link loop
// and a dangling link, named without an extension, are unreadable rejects
// naming them (not "files that are not articles").
func TestRun_FolderLinks(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "in/a.txt", "Title A\nbody a\n")
	write(t, dir, "realdir/b.txt", "Title B\nbody b\n")
	must(t, os.Symlink(filepath.Join(dir, "realdir"), filepath.Join(dir, "in/realdir")))
	must(t, os.Symlink("loop", filepath.Join(dir, "in/loop")))
	must(t, os.Symlink("missing", filepath.Join(dir, "in/gone")))
	l := testutil.NewLake(t)
	res := run(t, l, ingest.Options{Paths: []string{filepath.Join(dir, "in")}})
	wantCounts(t, res, 1, 2, 0)
	wantRejects(t, l, "%", "unreadable:0", "unreadable:0")
	for _, name := range []string{"loop", "gone"} {
		if n := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.rejects WHERE file LIKE '%/in/`+name+`'`); n != 1 {
			t.Errorf("rejects naming in/%s = %d, want 1", name, n)
		}
	}
	want := filepath.Join(dir, "in/realdir") + " (link to a folder, not followed: give its target path to ingest it)"
	if !slices.Contains(res.SkippedFolders, want) {
		t.Errorf("skipped folders = %q, want %q", res.SkippedFolders, want)
	}
	if len(res.Skipped) != 0 {
		t.Errorf("skipped files = %q, want none (links are not files that are not articles)", res.Skipped)
	}
}
