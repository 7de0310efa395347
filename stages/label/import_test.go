package label_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
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
	f := testutil.Filter(t, "stages/label/testdata/ai_engineering_practice/v1")
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

// label and `label import` write one table and take one lock for it: a
// labeling run is refused (ErrBusy, naming the holder) while an import
// holds the labels table, and an import waits while a labeling run does.
func TestRun_OneLockWithImport(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	other, err := lake.Open(ctx, l.Root)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	held, err := other.LockTable(ctx, spec.Labels.For(f), "label import", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f)})
	if !errors.Is(err, label.ErrBusy) || !strings.Contains(err.Error(), "label import") {
		t.Errorf("label while an import holds %s: %v; want ErrBusy naming the import", spec.Labels.For(f), err)
	}
	held.Unlock()

	running, err := other.TryLockTable(spec.Labels.For(f), "label")
	if err != nil {
		t.Fatal(err)
	}
	told := make(chan string, 1)
	waited, cancel := context.WithCancel(ctx)
	go func() {
		k, err := l.LockTable(waited, spec.Labels.For(f), "label import", func(msg string) { told <- msg })
		if err == nil {
			k.Unlock()
		}
	}()
	if msg := <-told; !strings.Contains(msg, "label import: waiting") || !strings.Contains(msg, "label") {
		t.Errorf("an import while label runs: %q", msg)
	}
	cancel()
	running.Unlock()
}
