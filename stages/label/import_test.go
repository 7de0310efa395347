package label_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/label"
)

// Both real shapes of the reference project's labels import.
func TestImport_ReferenceShapes(t *testing.T) {
	ctx := context.Background()
	root := testutil.RepoRoot(t)
	cases := []struct {
		filter, files string
		want          int64
	}{
		{"filters/uplifting/v1", "reference/llm-distillery/filters/uplifting/v4/validation_scored/uplifting/scored_batch_*.jsonl", 16},
		{"stages/label/testdata/ai_engineering_practice/v1", "reference/llm-distillery/filters/ai-engineering-practice/v1/calibration/ai-engineering-practice/scored_batch_*.jsonl", 100},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(filepath.Dir(tc.filter)), func(t *testing.T) {
			l := testutil.NewLake(t)
			f, err := filters.Load(filepath.Join(root, tc.filter))
			if err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "reference"), "..", tc.files))
			if len(files) == 0 {
				t.Fatalf("no files match %s", tc.files)
			}
			res, err := label.Import(ctx, l, f, files)
			if err != nil {
				t.Fatal(err)
			}
			if res.RowsOut != tc.want || res.Rejected != 0 || res.NewArticles != tc.want {
				t.Fatalf("import: %+v", res)
			}
			ns := f.Namespace()
			if got := testutil.QueryInt(t, l, "SELECT count(*) FROM "+ns+".labels l JOIN corpus.raw r USING (id) WHERE l.imported AND l.oracle = 'import' AND l.tier IS NOT NULL"); got != tc.want {
				t.Errorf("%d imported labels joined to their articles, want %d", got, tc.want)
			}
			dim := f.Dimensions[0].Name
			if got := testutil.QueryInt(t, l, "SELECT count(*) FROM "+ns+".labels WHERE "+dim+"_evidence IS NOT NULL AND "+dim+" BETWEEN 0 AND 10"); got != tc.want {
				t.Errorf("%d rows with a %s score and evidence", got, dim)
			}
			again, err := label.Import(ctx, l, f, files)
			if err != nil || again.RowsOut != 0 || again.Duplicates != tc.want {
				t.Errorf("re-import: %+v, %v", again, err)
			}
		})
	}
}

// Four imports of one file at once, through separate lake handles (separate
// locks), add each label once.
func TestImport_FourAtOnce(t *testing.T) {
	ctx := context.Background()
	f, err := filters.Load(filepath.Join(testutil.RepoRoot(t), "stages/label/testdata/ai_engineering_practice/v1"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "reference"), "llm-distillery/filters/ai-engineering-practice/v1/calibration/ai-engineering-practice/scored_batch_*.jsonl"))
	if len(files) == 0 {
		t.Fatal("no reference labels")
	}
	l := testutil.NewLake(t)
	// Both read the (empty) set of imported pairs, then append, unless they
	// take turns.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		h, err := lake.Open(ctx, l.Root)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = label.Import(ctx, h, f, files)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ns := f.Namespace()
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM "+ns+".labels"); got != 100 {
		t.Errorf("%d labels after four imports at once of 100, want 100", got)
	}
}
