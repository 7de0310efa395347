package compress_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/prefilter"
)

// The summary's counts are each counted on their own, so the identity
// rows_in = rows_out + already_compressed + rejected + duplicates is a check
// that can fail (issue 12: rows_out was set to rows_in; rejected and
// duplicates were never set, and a repeated decision was compressed twice).
func TestRun_CountsFromWhatWasRead(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := load(t)
	body := strings.Repeat("A 50 MW solar farm and a wind farm were commissioned and are in operation. ", 8)
	ingestOne := func(ids ...string) {
		var b strings.Builder
		for _, id := range ids {
			b.WriteString(`{"id":"` + id + `","title":"Solar ` + id + `","content":"` + body + id + `"}` + "\n")
		}
		path := filepath.Join(t.TempDir(), "a.jsonl")
		os.WriteFile(path, []byte(b.String()), 0o644)
		if _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{path}}); err != nil {
			t.Fatal(err)
		}
	}
	ingestOne("a1", "a2")
	if _, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	if _, err := compress.Run(ctx, l, compress.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	ingestOne("b1")
	// Decisions as another writer could leave them: b1 passed twice, and
	// "ghost" passed but is not in corpus.raw (an ingest rolled back).
	p, err := l.WriteRows(ctx, spec.Prefiltered.For(f), func(rb *lake.RowBuilder) error {
		for _, id := range []string{"b1", "b1", "ghost"} {
			rb.String("id", id)
			rb.Bool("passed", true)
			rb.String("reason", "passed")
			rb.String("rule", "test")
			rb.EndRow()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(ctx, lake.Commit{Stage: "prefilter", Filter: f.Ref()}); err != nil {
		t.Fatal(err)
	}
	res, err := compress.Run(ctx, l, compress.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	tbl := spec.Compressed.For(f).String()
	pre := spec.Prefiltered.For(f).String()
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"rows_in (passed decisions)", res.RowsIn, testutil.QueryInt(t, l, "SELECT count(*) FROM "+pre+" WHERE passed")},
		{"rows_out (rows this run wrote)", res.RowsOut, testutil.QueryInt(t, l, "SELECT count(*) FROM "+tbl+" WHERE compressed_at = (SELECT max(compressed_at) FROM "+tbl+")")},
		{"already_compressed", res.AlreadyRendered, 2},
		{"rejected (not in corpus.raw)", res.Rejected, 1},
		{"duplicates", res.Duplicates, 1},
		{"rows_in = rows_out + already + rejected + duplicates", res.RowsIn, res.RowsOut + res.AlreadyRendered + res.Rejected + res.Duplicates},
		{"one row per id", testutil.QueryInt(t, l, "SELECT count(*) - count(DISTINCT id) FROM "+tbl), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d (%+v)", c.name, c.got, c.want, res)
		}
	}
}
