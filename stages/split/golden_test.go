package split_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/distillery/distillery/internal/labeltest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/split"
)

// The split of a golden case's labeled set, input/labels.jsonl (one label a
// line, in labeling order: id, score, compressed text), with the shipped
// filter's split settings: want/splits.csv shows each article's split,
// stratum and duplicate group. Refresh with -update.
func TestRun_Golden(t *testing.T) {
	f := loadFilter(t)
	for _, dir := range testutil.GoldenCases(t, "testdata") {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			l := testutil.NewLake(t)
			labeltest.Write(t, l, f, readLabels(t, filepath.Join(dir, "input", "labels.jsonl")))
			if _, err := split.Run(context.Background(), l, split.Options{Filter: f}); err != nil {
				t.Fatal(err)
			}
			got := testutil.QueryCSV(t, l, "SELECT id, split, stratum, dup_group, balanced_out, note FROM "+
				spec.Splits.In(f.Namespace()).String()+" ORDER BY id")
			testutil.Golden(t, dir, map[string][]byte{"splits.csv": got})
		})
	}
}

func readLabels(t *testing.T, path string) []labeltest.Article {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []labeltest.Article
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		var row struct {
			ID    string  `json:"id"`
			Score float64 `json:"score"`
			Text  string  `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, labeltest.Article{ID: row.ID, Score: row.Score, Text: row.Text})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
