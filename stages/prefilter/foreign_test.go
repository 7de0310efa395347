package prefilter_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake/laketest"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/prefilter"
)

// TestRun_AfterAnotherEngineChangedItsTable: the prefilter's keyed output
// after another engine renamed a column, moved another first and added one:
// an incremental run writes each decision into the renamed column (by field
// id, not a second column under the old name), the added column stays null,
// and a rerun still finds every article decided.
func TestRun_AfterAnotherEngineChangedItsTable(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := load(t, stdv1)
	dir := t.TempDir()
	articles := func(name string, from, to int) string {
		var b strings.Builder
		for i := from; i < to; i++ {
			body := strings.Repeat(fmt.Sprintf("The solar farm %d was deployed and now feeds the grid with renewable energy. ", i), 12)
			if i%2 == 1 {
				body = "short"
			}
			fmt.Fprintf(&b, `{"id":"a%d","title":"Solar farm %d","content":%q}`+"\n", i, i, body)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ingestPaths(t, l, articles("one.jsonl", 0, 4))
	if _, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	out := spec.Prefiltered.For(f).String()
	e := laketest.Open(t, l.Root)
	e.RenameColumn(t, out, "reason", "why")
	e.MoveFirst(t, out, "rule")
	e.AddStringColumn(t, out, "reviewer", false)
	ingestPaths(t, l, articles("two.jsonl", 4, 8))
	res, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f})
	if err != nil {
		t.Fatalf("prefilter after the schema change: %v", err)
	}
	if res.Passed+res.Blocked != 4 || res.AlreadyDecided != 4 {
		t.Errorf("incremental run = %+v, want 4 new decisions beside 4 made before", res)
	}
	q := `SELECT count(*) FILTER (WHERE why IS NOT NULL AND (why = 'passed') = passed AND rule IS NOT NULL AND reviewer IS NULL) || '/' || count(*) FROM ` + out
	if got := testutil.QueryStrings(t, l, q); len(got) != 1 || got[0] != "8/8" {
		t.Errorf("decisions with their reason in the renamed column = %v, want 8/8", got)
	}
	if cols := testutil.QueryStrings(t, l, `SELECT column_name FROM (DESCRIBE SELECT * FROM `+out+`) WHERE column_name IN ('reason', 'why')`); len(cols) != 1 || cols[0] != "why" {
		t.Errorf("columns reason/why = %v, want only why", cols)
	}
	res, err = prefilter.Run(ctx, l, prefilter.Options{Filter: f})
	if err != nil || res.AlreadyDecided != 8 || res.Passed+res.Blocked != 0 {
		t.Errorf("rerun = %+v, %v; want all 8 already decided", res, err)
	}
}
