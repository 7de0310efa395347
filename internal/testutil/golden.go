package testutil

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/distillery/distillery/lake"
)

// update is the one -update flag of every golden test: `go test ./stages/x/
// -update` rewrites the want/ folders from what the code produces now, and
// `git diff` shows what changed.
var update = flag.Bool("update", false, "rewrite the want/ folders of golden tests from their output")

// GoldenCases lists the golden cases under root (a testdata folder): the
// folders holding an input/ folder, sorted. Other folders (fuzz corpora,
// filter packages) are not cases.
func GoldenCases(t testing.TB, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if st, err := os.Stat(filepath.Join(dir, "input")); err == nil && st.IsDir() {
			cases = append(cases, dir)
		}
	}
	if len(cases) == 0 {
		t.Fatalf("no golden cases (folders with an input/ folder) in %s", root)
	}
	return cases
}

// Golden compares got (file name, slash-separated, to content) with the
// files of dir/want, each file and the set of names; with -update it
// replaces dir/want with got instead.
func Golden(t testing.TB, dir string, got map[string][]byte) {
	t.Helper()
	want := filepath.Join(dir, "want")
	if *update {
		if err := writeGolden(want, got); err != nil {
			t.Fatal(err)
		}
		return
	}
	problems, err := diffGolden(want, got)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if len(problems) > 0 {
		t.Log("if the change is intended, run the test again with -update and review git diff " + want)
	}
}

// writeGolden replaces the folder want with the files of got: a file the
// test no longer produces must not linger as a stale expectation.
func writeGolden(want string, got map[string][]byte) error {
	if err := os.RemoveAll(want); err != nil {
		return err
	}
	for name, b := range got {
		p := filepath.Join(want, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// diffGolden lists how got differs from the files under want, one message
// per file; it errs only when want cannot be read.
func diffGolden(want string, got map[string][]byte) ([]string, error) {
	if _, err := os.Stat(want); errors.Is(err, fs.ErrNotExist) {
		return []string{want + " does not exist: run the test with -update to create it"}, nil
	}
	var problems []string
	onDisk := map[string]bool{}
	err := filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(want, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		onDisk[name] = true
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		g, ok := got[name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("want/%s: the test no longer produces this file", name))
		case !bytes.Equal(g, b):
			problems = append(problems, fmt.Sprintf("want/%s differs:\n%s", name, LineDiff(string(b), string(g))))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var extra []string
	for name := range got {
		if !onDisk[name] {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	for _, name := range extra {
		problems = append(problems, fmt.Sprintf("want/%s is missing: the test produces it", name))
	}
	return problems, nil
}

// LineDiff shows the lines that differ, position by position: golden files
// and README outputs are small tables whose rows rarely shift, and the first
// few differences are enough to see what changed.
func LineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl == gl {
			continue
		}
		if shown == 10 {
			b.WriteString("\t…\n")
			break
		}
		shown++
		fmt.Fprintf(&b, "\tline %d\n\t- want: %s\n\t+  got: %s\n", i+1, wl, gl)
	}
	return b.String()
}

// QueryCSV runs q over the lake and returns its rows as CSV, a header line
// first, NULL as <NULL>: the form golden tests compare. q should ORDER BY a
// key, and leave out what differs between runs (run ids, timestamps).
func QueryCSV(t testing.TB, l *lake.Lake, q string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	var vals, ptrs []any
	var rec []string
	head := func(cols []string) {
		w.Write(cols)
		vals, ptrs, rec = make([]any, len(cols)), make([]any, len(cols)), make([]string, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
	}
	eachRow(t, l, q, head, func(rows *sql.Rows) {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			rec[i] = csvValue(v)
		}
		w.Write(rec)
	})
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func csvValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "<NULL>"
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case []byte:
		return string(v)
	default:
		return fmt.Sprint(v)
	}
}

// Updating reports whether the test run was given -update: tests that keep
// their expected output somewhere else (README.md's transcripts) rewrite it.
func Updating() bool { return *update }
