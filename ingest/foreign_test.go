package ingest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake/laketest"
	"github.com/distillery/distillery/spec"
)

// TestRun_AfterAnotherEngineChangedRaw: ingest keeps working after another
// engine (Spark's ALTER TABLE) added a column to corpus.raw and wrote to it,
// then renamed and moved columns: every value lands in its column by field
// id, the added column is null in distill's rows and keeps the other
// engine's value. Before, the added column panicked ingest ("some fields
// have excessive number of rows").
func TestRun_AfterAnotherEngineChangedRaw(t *testing.T) {
	l := testutil.NewLake(t)
	dir := t.TempDir()
	lines := func(from, to int) string {
		var b strings.Builder
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, `{"id":"a%d","title":"title %d","content":"body %d","url":"https://example.org/%d"}`+"\n", i, i, i, i)
		}
		return b.String()
	}
	run(t, l, ingest.Options{Paths: []string{write(t, dir, "one.jsonl", lines(0, 2))}})

	raw := spec.Raw.For(nil).String()
	e := laketest.Open(t, l.Root)
	e.AddStringColumn(t, raw, "spark_note", false)
	e.Append(t, raw, laketest.Row{"id": "spark-1", "title": "from spark", "content": "spark body", "content_sha256": "x", "spark_note": "hello"})
	res := run(t, l, ingest.Options{Paths: []string{write(t, dir, "two.jsonl", lines(2, 4))}})
	wantCounts(t, res, 2, 0, 0)

	e.RenameColumn(t, raw, "title", "headline")
	e.MoveFirst(t, raw, "content")
	e.MoveAfter(t, raw, "spark_note", "content")
	res = run(t, l, ingest.Options{Paths: []string{write(t, dir, "three.jsonl", lines(4, 5))}})
	wantCounts(t, res, 1, 0, 0)

	got := testutil.QueryStrings(t, l, `SELECT concat_ws('|', id, headline, content, url, coalesce(spark_note, '-')) FROM corpus.raw ORDER BY id`)
	want := []string{"a0|title 0|body 0|https://example.org/0|-", "a1|title 1|body 1|https://example.org/1|-",
		"a2|title 2|body 2|https://example.org/2|-", "a3|title 3|body 3|https://example.org/3|-",
		"a4|title 4|body 4|https://example.org/4|-", "spark-1|from spark|spark body|hello"}
	if !slices.Equal(got, want) {
		t.Errorf("corpus.raw =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A rerun finds every article in the lake: ids and hashes still read.
	res = run(t, l, ingest.Options{Paths: []string{write(t, dir, "again.jsonl", lines(0, 5))}})
	wantCounts(t, res, 0, 0, 5)
}
