package compress_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/prefilter"
)

// The model inputs rendered for a golden case's articles: want/compressed.csv
// has one row per passed article, and want/text/<id>.txt each text, for
// hand-written inputs only (a real excerpt keeps just its hash, so the
// shared corpus is not copied into the repository). Refresh with -update.
func TestRun_Golden(t *testing.T) {
	for _, dir := range testutil.GoldenCases(t, "testdata") {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			ctx := context.Background()
			l := testutil.NewLake(t)
			input, handWritten := caseInput(t, dir)
			if _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{input}}); err != nil {
				t.Fatal(err)
			}
			f := caseFilter(t, dir)
			if _, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f}); err != nil {
				t.Fatal(err)
			}
			if _, err := compress.Run(ctx, l, compress.Options{Filter: f}); err != nil {
				t.Fatal(err)
			}
			table := spec.Compressed.For(f).String()
			got := map[string][]byte{"compressed.csv": testutil.QueryCSV(t, l,
				"SELECT id, words, chars, truncated, method, text_sha256 FROM "+table+" ORDER BY id")}
			if handWritten {
				for _, row := range texts(t, l, table) {
					got["text/"+row[0]+".txt"] = []byte(row[1])
				}
			}
			testutil.Golden(t, dir, got)
		})
	}
}

// caseInput is the articles file of a golden case: input/articles.jsonl, or
// the articles input/excerpt.json names, cut from the shared corpus into a
// temporary file.
func caseInput(t *testing.T, dir string) (path string, handWritten bool) {
	t.Helper()
	spec, err := os.ReadFile(filepath.Join(dir, "input", "excerpt.json"))
	if os.IsNotExist(err) {
		return filepath.Join(dir, "input", "articles.jsonl"), true
	}
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		File string   `json:"file"`
		IDs  []string `json:"ids"`
	}
	if err := json.Unmarshal(spec, &ex); err != nil {
		t.Fatal(err)
	}
	return cutExcerpt(t, testutil.Shared(t, ex.File), ex.IDs), false
}

// cutExcerpt copies the lines of a gzipped JSONL file whose id is one of ids
// to a temporary file, and fails if any id is not found.
func cutExcerpt(t *testing.T, src string, ids []string) string {
	t.Helper()
	fh, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	found := map[string]bool{}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var rec struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		if id := strings.Trim(string(rec.ID), `"`); slices.Contains(ids, id) && !found[id] {
			found[id] = true
			out.Write(sc.Bytes())
			out.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(found) != len(ids) {
		t.Fatalf("%s: found %d of the ids %v", src, len(found), ids)
	}
	p := filepath.Join(t.TempDir(), "excerpt.jsonl")
	if err := os.WriteFile(p, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// caseFilter is the filter of a golden case: its own package under
// input/filter/v1 when it has one, the shipped sustainability filter if not.
func caseFilter(t *testing.T, dir string) *filters.Filter {
	t.Helper()
	own := filepath.Join(dir, "input", "filter", "v1")
	if _, err := os.Stat(own); err != nil {
		return load(t)
	}
	f, err := filters.Load(own)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// texts reads id and text of every row of a compressed table, by id.
func texts(t *testing.T, l *lake.Lake, table string) [][2]string {
	t.Helper()
	var out [][2]string
	for _, row := range testutil.QueryStrings(t, l, "SELECT to_json([id, text])::VARCHAR FROM "+table+" ORDER BY id") {
		var pair [2]string
		if err := json.Unmarshal([]byte(row), &pair); err != nil {
			t.Fatal(err)
		}
		out = append(out, pair)
	}
	return out
}
