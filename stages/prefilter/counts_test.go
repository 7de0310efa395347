package prefilter_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/prefilter"
)

// writeRaw appends rows to corpus.raw as another writer could (a lake
// written before ingest deduplicated, or by another engine): ids may repeat.
func writeRaw(t *testing.T, l *lake.Lake, ids ...string) {
	t.Helper()
	ctx := context.Background()
	if err := ingest.Init(ctx, l); err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("A 50 MW solar farm and a wind farm were commissioned and are in operation. ", 8)
	p, err := l.WriteRows(ctx, spec.Raw.For(nil), func(rb *lake.RowBuilder) error {
		for i, id := range ids {
			rb.String("id", id)
			rb.String("title", "Solar "+id)
			rb.String("content", body)
			rb.String("content_sha256", fmt.Sprintf("sha-%s-%d", id, i))
			rb.EndRow()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(ctx, lake.Commit{Stage: "ingest"}); err != nil {
		t.Fatal(err)
	}
}

// The summary's counts are each counted on their own, from what was read and
// written, so the identity rows_in = rows_out + already_decided + duplicates
// is a check that can fail (issue 12: rows_out was set to rows_in, and
// duplicates was never set).
func TestRun_CountsFromWhatWasRead(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	f := load(t, stdv1)
	writeRaw(t, l, "a1", "a2")
	first, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	writeRaw(t, l, "b1", "b1", "b2") // b1 twice in the input
	res, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	tbl := spec.Prefiltered.For(f).String()
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"first rows_out", first.RowsOut, 2},
		{"rows_in (rows of corpus.raw)", res.RowsIn, testutil.QueryInt(t, l, "SELECT count(*) FROM corpus.raw")},
		{"rows_out (rows this run wrote)", res.RowsOut, testutil.QueryInt(t, l, "SELECT count(*) FROM "+tbl+" WHERE decided_at = (SELECT max(decided_at) FROM "+tbl+")")},
		{"already_decided", res.AlreadyDecided, 2},
		{"duplicates", res.Duplicates, 1},
		{"rows_in = rows_out + already_decided + duplicates", res.RowsIn, res.RowsOut + res.AlreadyDecided + res.Duplicates},
		{"rows_out = passed + blocked", res.RowsOut, res.Passed + res.Blocked},
		{"one decision per id", testutil.QueryInt(t, l, "SELECT count(*) - count(DISTINCT id) FROM "+tbl), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d (%+v)", c.name, c.got, c.want, res)
		}
	}
}
