package pipelinetest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
)

// Sample is the real ai-tech corpus sample (5,129 pages) under ../shared.
const Sample = "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz"

// AITech is a lake of the ai-tech sample run up to a split with the
// uplifting filter and its keywords oracle (655 articles pass), built once
// per test binary and shared by its tests (a lake cannot be copied: Iceberg
// metadata holds absolute paths), so each reads only what it wrote. The
// package's TestMain calls Remove.
type AITech struct {
	once sync.Once
	dir  string
	err  error
}

// Open builds the lake on the first call and opens it for t.
func (a *AITech) Open(t *testing.T) (*lake.Lake, *filters.Filter) {
	t.Helper()
	ctx := context.Background()
	f := testutil.Filter(t, "filters/uplifting/v1")
	sample := testutil.Shared(t, Sample)
	a.once.Do(func() {
		if a.dir, a.err = os.MkdirTemp("", "distill-aitech-test"); a.err != nil {
			return
		}
		l, err := lake.Create(ctx, a.dir)
		if err != nil {
			a.err = err
			return
		}
		defer l.Close()
		a.err = ToSplit(ctx, l, f, []string{sample}, nil)
	})
	if a.err != nil {
		t.Fatal(a.err)
	}
	l, err := lake.Open(ctx, a.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, f
}

// Remove deletes the lake, if one was built.
func (a *AITech) Remove() {
	if a.dir != "" {
		os.RemoveAll(a.dir)
	}
}

// BenchLake is a lake of the whole ai-tech sample (about 5,000 articles
// pass: the uplifting filter with its prefilter's topic rule and
// exclusions off) run up to a split with ratios, for benchmarks.
func BenchLake(b *testing.B, ratios []float64) (*lake.Lake, *filters.Filter) {
	b.Helper()
	ctx := context.Background()
	f, err := filters.Load(filepath.Join(testutil.RepoRoot(b), "filters/uplifting/v1"))
	if err != nil {
		b.Fatal(err)
	}
	f.Prefilter.Positive.MinMatches = 0
	f.Prefilter.Exclude = nil
	f.SHA256 = "bench-" + f.SHA256
	l, err := lake.Create(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	if err := ToSplit(ctx, l, f, []string{testutil.Shared(b, Sample)}, ratios); err != nil {
		b.Fatal(err)
	}
	return l, f
}
