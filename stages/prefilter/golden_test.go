package prefilter_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/prefilter"
)

// caseFilter is the filter of a golden case: its own package under
// input/filter/v1 when it has one, the shipped sustainability filter if not.
func caseFilter(t *testing.T, dir string) *filters.Filter {
	t.Helper()
	own := filepath.Join(dir, "input", "filter", "v1")
	if _, err := os.Stat(own); err != nil {
		return load(t, stdv1)
	}
	f, err := filters.Load(own)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// The decisions for testdata/<case>/input/articles.jsonl, one row per
// article: a change to the rules or to the decider shows as a diff of
// want/prefiltered.csv (refresh with go test -update).
func TestRun_Golden(t *testing.T) {
	for _, dir := range testutil.GoldenCases(t, "testdata") {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			l := testutil.NewLake(t)
			ingestPaths(t, l, filepath.Join(dir, "input", "articles.jsonl"))
			f := caseFilter(t, dir)
			if _, err := prefilter.Run(context.Background(), l, prefilter.Options{Filter: f}); err != nil {
				t.Fatal(err)
			}
			got := testutil.QueryCSV(t, l, "SELECT id, passed, reason, rule FROM "+spec.Prefiltered.For(f).String()+" ORDER BY id")
			testutil.Golden(t, dir, map[string][]byte{"prefiltered.csv": got})
		})
	}
}
