package lake

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/iceberg-go"
)

// filesUnder lists every regular file under dir with its size and mtime.
func filesUnder(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fi.ModTime().String() + " " + string(rune(fi.Size()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mentions lists the files under dir whose bytes contain s, and the
// catalog rows that do (catalog.db's bytes may keep freed rows).
func mentions(t *testing.T, dir, s string) []string {
	t.Helper()
	var hits []string
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, CatalogFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM iceberg_tables WHERE instr(metadata_location, ?) > 0 OR instr(coalesce(previous_metadata_location, ''), ?) > 0)
		+ (SELECT count(*) FROM iceberg_namespace_properties WHERE instr(property_value, ?) > 0)`, s, s, s).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		hits = append(hits, fmt.Sprintf("%s (%d rows)", CatalogFile, n))
	}
	for p := range filesUnder(t, dir) {
		if strings.HasPrefix(filepath.Base(p), CatalogFile) {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(s)) {
			hits = append(hits, p)
		}
	}
	sort.Strings(hits)
	return hits
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", from, to).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v: %s", err, out)
	}
}

func TestOpen_MovedLake(t *testing.T) {
	ctx := context.Background()
	dir, want := buildLake(t)
	moved := filepath.Join(filepath.Dir(dir), "moved lake")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	if got := openFingerprint(t, moved); got != want {
		t.Fatalf("moved lake:\n%s\nwant:\n%s", got, want)
	}
	if hits := mentions(t, moved, dir+"/"); len(hits) > 0 {
		t.Errorf("files still name the old folder: %v", hits)
	}
	checkManifestLengths(t, moved)
	l, err := Open(ctx, moved)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	appendRows(t, l, testTable, "h")
	if got := queryIntLake(t, l, `SELECT count(*) FROM t.items`); got != 8 {
		t.Errorf("after an append to the moved lake: %d rows, want 8", got)
	}
}

// TestOpen_CopiedLake checks that a copy reads only its own files (the
// original is moved out of the way while the copy is opened, so a read of
// its paths fails) and that writing the copy leaves the original alone.
func TestOpen_CopiedLake(t *testing.T) {
	ctx := context.Background()
	dir, want := buildLake(t)
	cp := filepath.Join(filepath.Dir(dir), "copy")
	copyTree(t, dir, cp)
	before := filesUnder(t, dir)
	hidden := dir + ".away"
	if err := os.Rename(dir, hidden); err != nil {
		t.Fatal(err)
	}
	if got := openFingerprint(t, cp); got != want {
		t.Fatalf("copy with the original gone:\n%s\nwant:\n%s", got, want)
	}
	l, err := Open(ctx, cp)
	if err != nil {
		t.Fatal(err)
	}
	appendRows(t, l, testTable, "h")
	if got := queryIntLake(t, l, `SELECT count(*) FROM t.items`); got != 8 {
		t.Errorf("copy after an append: %d rows, want 8", got)
	}
	l.Close()
	if err := os.Rename(hidden, dir); err != nil {
		t.Fatal(err)
	}
	// The original: not one file added or changed, same content.
	after := filesUnder(t, dir)
	for p, v := range after {
		if before[p] != v {
			t.Errorf("original changed: %s", p)
		}
	}
	if len(after) != len(before) {
		t.Errorf("original has %d files, had %d", len(after), len(before))
	}
	if got := openFingerprint(t, dir); got != want {
		t.Fatalf("original after the copy was written:\n%s\nwant:\n%s", got, want)
	}
	if hits := mentions(t, cp, dir+"/"); len(hits) > 0 {
		t.Errorf("copy's files name the original: %v", hits)
	}
}

// TestOpen_RelocationResumes stops the rewrite after each file in turn (as a
// crash would: nothing after it is written), then opens again, once from the
// same folder and once after moving the half-rewritten lake again.
func TestOpen_RelocationResumes(t *testing.T) {
	ctx := context.Background()
	dir, want := buildLake(t)
	stop := errors.New("injected stop")
	for k := 1; ; k++ {
		base := filepath.Join(t.TempDir(), "x")
		copyTree(t, dir, base)
		n := 0
		relocateFault = func(string) error {
			if n++; n == k {
				return stop
			}
			return nil
		}
		_, err := Open(ctx, base)
		relocateFault = nil
		if err == nil {
			break // k is past the last file: the rewrite finished
		}
		if !errors.Is(err, stop) || !errors.Is(err, ErrRelocate) {
			t.Fatalf("stop after file %d: err = %v", k, err)
		}
		target := base
		if k%2 == 0 {
			target = filepath.Join(filepath.Dir(base), "y")
			if err := os.Rename(base, target); err != nil {
				t.Fatal(err)
			}
		}
		if got := openFingerprint(t, target); got != want {
			t.Fatalf("stopped after file %d, reopened at %s:\n%s\nwant:\n%s", k, target, got, want)
		}
		for _, old := range []string{dir + "/", base + "/"} {
			if old == target+"/" {
				continue
			}
			if hits := mentions(t, target, old); len(hits) > 0 {
				t.Fatalf("stopped after file %d: files still name %s: %v", k, old, hits)
			}
		}
		if k > 50 {
			t.Fatal("the rewrite never finished")
		}
	}
}

// checkManifestLengths checks that every manifest list gives each manifest's
// true length (other engines read manifests by it).
func checkManifestLengths(t *testing.T, dir string) {
	t.Helper()
	lists := 0
	for p := range filesUnder(t, dir) {
		if !strings.HasPrefix(filepath.Base(p), "snap-") {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		recs, _, err := readAvro(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		lists++
		for _, r := range recs {
			m := r.(map[string]any)
			fi, err := os.Stat(localPath(m["manifest_path"].(string)))
			if err != nil {
				t.Fatalf("%s lists %v: %v", p, m["manifest_path"], err)
			}
			if m["manifest_length"] != fi.Size() {
				t.Errorf("%s gives %v length %v, the file has %d bytes", p, m["manifest_path"], m["manifest_length"], fi.Size())
			}
		}
	}
	if lists == 0 {
		t.Fatal("no manifest list found")
	}
}

// TestOpen_MovedLakeConcurrentOpens opens a moved lake from several
// goroutines at once: one rewrites it under locks/relocate.lock, the others
// wait and then find nothing left to do.
func TestOpen_MovedLakeConcurrentOpens(t *testing.T) {
	dir, want := buildLake(t)
	moved := dir + "-moved"
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			l, err := Open(context.Background(), moved)
			if err == nil {
				err = l.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := openFingerprint(t, moved); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// TestOpen_MovedLakeWithoutRecordedRoot covers lakes made before the root
// was recorded in catalog.db: the root is read off the tables' metadata
// locations.
func TestOpen_MovedLakeWithoutRecordedRoot(t *testing.T) {
	dir, want := buildLake(t)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, CatalogFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TABLE ` + lakePropsTable); err != nil {
		t.Fatal(err)
	}
	db.Close()
	moved := dir + "-moved"
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	if got := openFingerprint(t, moved); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if hits := mentions(t, moved, dir+"/"); len(hits) > 0 {
		t.Errorf("files still name the old folder: %v", hits)
	}
}

func TestPathMap(t *testing.T) {
	for _, c := range []struct {
		olds      []string
		root, in  string
		want      string
		wantMoved bool
	}{
		{[]string{"/a/lake"}, "/b/lake", "file:///a/lake/warehouse/x", "file:///b/lake/warehouse/x", true},
		{[]string{"/a/lake"}, "/b/lake", "/a/lake/warehouse/x", "/b/lake/warehouse/x", true},
		{[]string{"/a/lake"}, "/b/lake", "file:///a/lake2/warehouse/x", "file:///a/lake2/warehouse/x", false},
		{[]string{"/a/lake"}, "/b/my lake", "file:///a/lake/w", "file:///b/my%20lake/w", true},
		{[]string{"/a/my lake"}, "/b", "file:///a/my%20lake/w", "file:///b/w", true},
		// The new root inside the old one: a path already mapped stays.
		{[]string{"/a/lake"}, "/a/lake/inner", "file:///a/lake/warehouse/x", "file:///a/lake/inner/warehouse/x", true},
		{[]string{"/a/lake"}, "/a/lake/inner", "file:///a/lake/inner/warehouse/x", "file:///a/lake/inner/warehouse/x", false},
		// The old root inside the new one: old paths still map.
		{[]string{"/a/lake/inner"}, "/a/lake", "file:///a/lake/inner/warehouse/x", "file:///a/lake/warehouse/x", true},
		{[]string{"/a/lake/inner"}, "/a/lake", "file:///a/lake/warehouse/x", "file:///a/lake/warehouse/x", false},
		// Two old roots (a stop half way, then another move).
		{[]string{"/a", "/b"}, "/c", "file:///b/warehouse/x", "file:///c/warehouse/x", true},
	} {
		got, moved := newPathMap(c.olds, c.root).mapPath(c.in)
		if got != c.want || moved != c.wantMoved {
			t.Errorf("%v -> %s: mapPath(%q) = %q, %v; want %q, %v", c.olds, c.root, c.in, got, moved, c.want, c.wantMoved)
		}
	}
}

// TestOpen_ThroughSymlink: the same folder under another name is not a
// move: nothing is rewritten and the lake keeps its recorded root.
func TestOpen_ThroughSymlink(t *testing.T) {
	dir, want := buildLake(t)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	before := filesUnder(t, dir)
	l, err := Open(context.Background(), link)
	if err != nil {
		t.Fatal(err)
	}
	if l.Root != dir {
		t.Errorf("Root = %s, want the recorded %s", l.Root, dir)
	}
	if got := fingerprint(t, l); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	l.Close()
	for p, v := range filesUnder(t, dir) {
		if before[p] != v && !strings.HasPrefix(filepath.Base(p), CatalogFile) {
			t.Errorf("opening through a symlink rewrote %s", p)
		}
	}
}

// TestOpen_MovedLakeKeepsManifests reads every manifest list and manifest
// with iceberg-go's own reader before and after a move: apart from the
// paths (and the manifests' lengths), every field reads the same.
func TestOpen_MovedLakeKeepsManifests(t *testing.T) {
	dir, _ := buildLake(t)
	read := func(root string) map[string]string {
		out := map[string]string{}
		for p := range filesUnder(t, root) {
			if !strings.HasPrefix(filepath.Base(p), "snap-") {
				continue
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			mans, err := iceberg.ReadManifestList(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range mans {
				mf, err := os.Open(localPath(m.FilePath()))
				if err != nil {
					t.Fatal(err)
				}
				entries, err := iceberg.ReadManifest(m, mf, false)
				mf.Close()
				if err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				fmt.Fprintf(&b, "manifest spec=%d content=%v seq=%d minseq=%d added=%d/%d existing=%d/%d deleted=%d/%d snap=%d partitions=%+v\n",
					m.PartitionSpecID(), m.ManifestContent(), m.SequenceNum(), m.MinSequenceNum(), m.AddedDataFiles(), m.AddedRows(),
					m.ExistingDataFiles(), m.ExistingRows(), m.DeletedDataFiles(), m.DeletedRows(), m.SnapshotID(), m.Partitions())
				for _, e := range entries {
					df := e.DataFile()
					fmt.Fprintf(&b, "  %v snap=%d seq=%v fileseq=%v %s %v %v rows=%d size=%d cols=%v nulls=%v nans=%v values=%v lower=%v upper=%v splits=%v sort=%v part=%v key=%v\n",
						e.Status(), e.SnapshotID(), e.SequenceNum(), valueOf(e.FileSequenceNum()), df.FilePath(), df.ContentType(), df.FileFormat(),
						df.Count(), df.FileSizeBytes(), df.ColumnSizes(), df.NullValueCounts(), df.NaNValueCounts(), df.ValueCounts(),
						df.LowerBoundValues(), df.UpperBoundValues(), df.SplitOffsets(), valueOf(df.SortOrderID()), df.Partition(), df.KeyMetadata())
				}
				out[filepath.Base(p)+" "+filepath.Base(m.FilePath())] = b.String()
			}
		}
		return out
	}
	before := read(dir)
	moved := filepath.Join(filepath.Dir(dir), "moved lake")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	openFingerprint(t, moved)
	after := read(moved)
	if len(after) != len(before) || len(before) == 0 {
		t.Fatalf("%d manifests after, %d before", len(after), len(before))
	}
	for k, b := range before {
		if want := strings.ReplaceAll(b, fileURL(dir), fileURL(moved)); after[k] != want {
			t.Errorf("%s:\nafter  %s\nbefore %s", k, after[k], want)
		}
	}
}

func valueOf[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
