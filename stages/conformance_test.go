// Package stages_test holds the conformance test every stage passes: empty
// input, rerun without duplicates, lineage in the snapshot, cancellation.
package stages_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/distillery/distillery/stages/split"
)

// stage is one stage under test: run it, and name its output table.
type stage struct {
	name  string
	run   func(context.Context, *lake.Lake, *filters.Filter) (rows int64, err error)
	table func(*filters.Filter) lake.TableName
}

var stages = []stage{
	{"prefilter", func(ctx context.Context, l *lake.Lake, f *filters.Filter) (int64, error) {
		r, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f})
		return r.RowsOut, err
	}, prefilter.Table},
	{"compress", func(ctx context.Context, l *lake.Lake, f *filters.Filter) (int64, error) {
		r, err := compress.Run(ctx, l, compress.Options{Filter: f})
		return r.RowsOut, err
	}, compress.Table},
	{"label", func(ctx context.Context, l *lake.Lake, f *filters.Filter) (int64, error) {
		r, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f)})
		return r.RowsOut, err
	}, label.LabelsTable},
	{"split", func(ctx context.Context, l *lake.Lake, f *filters.Filter) (int64, error) {
		r, err := split.Run(ctx, l, split.Options{Filter: f})
		if err != nil || r.Mode == "unchanged" {
			return 0, err
		}
		return r.Articles, err
	}, func(f *filters.Filter) lake.TableName { return split.Table(f.Namespace()) }},
}

func TestStages_Conformance(t *testing.T) {
	ctx := context.Background()
	f, err := filters.Load(filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("empty input", func(t *testing.T) {
		l := testutil.NewLake(t)
		if err := ingest.Init(ctx, l); err != nil {
			t.Fatal(err)
		}
		for _, s := range stages {
			if _, err := s.run(ctx, l, f); err == nil || !strings.Contains(err.Error(), "first") {
				t.Errorf("%s on an empty lake: err = %v, want one saying what to run first", s.name, err)
			}
		}
	})

	l := testutil.NewLake(t)
	path := filepath.Join(t.TempDir(), "a.jsonl")
	body := strings.Repeat("A 50 MW solar farm and a wind farm were commissioned and are in operation. ", 8)
	os.WriteFile(path, []byte(`{"id":"a1","title":"Solar","content":"`+body+`"}`+"\n"+`{"id":"a2","title":"Wind","content":"`+body+`"}`+"\n"), 0o644)
	if _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{path}}); err != nil {
		t.Fatal(err)
	}

	t.Run("cancellation", func(t *testing.T) {
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		for _, s := range stages[:1] {
			if _, err := s.run(cancelled, l, f); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a cancelled context: err = %v", s.name, err)
			}
			if snap, _ := l.Current(ctx, s.table(f)); snap != nil {
				t.Errorf("%s committed under a cancelled context", s.name)
			}
		}
	})

	for _, s := range stages {
		t.Run(s.name, func(t *testing.T) {
			rows, err := s.run(ctx, l, f)
			if err != nil || rows != 2 {
				t.Fatalf("first run: %d rows, %v", rows, err)
			}
			again, err := s.run(ctx, l, f)
			if err != nil || again != 0 {
				t.Errorf("rerun: %d rows, %v; want 0", again, err)
			}
			snaps, err := l.Snapshots(ctx, s.table(f))
			if err != nil || len(snaps) != 1 {
				t.Fatalf("snapshots: %d, %v; want 1 (a rerun adds none)", len(snaps), err)
			}
			snap := snaps[0]
			if snap.Stage != s.name || snap.RunID == "" || snap.Filter != f.Ref() || !strings.Contains(snap.Inputs, "@1#") || snap.Params == "" {
				t.Errorf("lineage missing from the snapshot: %+v", snap)
			}
			if n := testutil.QueryInt(t, l, "SELECT count(*) - count(DISTINCT id) FROM "+s.table(f).String()); n != 0 {
				t.Errorf("%d duplicate ids", n)
			}
		})
	}
}
