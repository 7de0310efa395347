package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, l *lake.Lake, opts ingest.Options) *ingest.Result {
	t.Helper()
	res, err := ingest.Run(context.Background(), l, opts)
	if err != nil {
		t.Fatalf("ingest %v: %v", opts.Paths, err)
	}
	if res.RowsIn != res.RowsOut+res.Rejected+res.Duplicates {
		t.Errorf("rows_in %d != rows_out %d + rejected %d + duplicates %d", res.RowsIn, res.RowsOut, res.Rejected, res.Duplicates)
	}
	return res
}

func wantCounts(t *testing.T, res *ingest.Result, rows, rejected, dups int64) {
	t.Helper()
	if res.RowsOut != rows || res.Rejected != rejected || res.Duplicates != dups {
		t.Errorf("rows %d, rejected %d, duplicates %d; want %d, %d, %d (rejects: %+v)",
			res.RowsOut, res.Rejected, res.Duplicates, rows, rejected, dups, res.Rejects)
	}
}

const aggregatorLine = `{"id":"article-%d","title":"Solar farm %d deployed","content":"Body %d","description":"Lead %d","published_date":"2025-01-15T10:30:00Z","source":"energy_utilities_pv_magazine","url":"https://example.org/%d","author":"A. Writer"}`

func aggregator(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, aggregatorLine+"\n", i, i, i, i, i)
	}
	return b.String()
}

func TestRun_Formats(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(aggregator(3)))
	zw.Close()
	cases := []struct {
		name  string
		paths func() []string
		rows  int64
	}{
		{"jsonl", func() []string { return []string{write(t, dir, "a.jsonl", aggregator(3))} }, 3},
		{"jsonl.gz", func() []string { return []string{write(t, dir, "b.jsonl.gz", gz.String())} }, 3},
		{"json array", func() []string {
			return []string{write(t, dir, "c.json", `[
  {"id": "x1", "headline": "H1", "body": "B1"},
  {"id": "x2", "headline": "H2", "body": "B2"}
]`)}
		}, 2},
		{"csv", func() []string {
			return []string{write(t, dir, "d.csv", "label,title,description\n1,T1,\"D1, with comma\"\n2,T2,D2\n")}
		}, 2},
		{"parquet", func() []string { return []string{writeParquet(t, filepath.Join(dir, "e.parquet"))} }, 2},
		{"txt folder", func() []string {
			write(t, dir, "news/tech/1.txt", "Title one\n\nBody one.\n")
			write(t, dir, "news/sport/2.txt", "Title two\n\nBody two.\n")
			write(t, dir, "news/README.TXT", "not an article")
			return []string{filepath.Join(dir, "news")}
		}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := testutil.NewLake(t)
			res := run(t, l, ingest.Options{Paths: tc.paths()})
			wantCounts(t, res, tc.rows, 0, 0)
			if got := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.raw WHERE title <> '' AND content <> ''`); got != tc.rows {
				t.Errorf("rows with title and content = %d, want %d", got, tc.rows)
			}
		})
	}
}

func writeParquet(t *testing.T, path string) string {
	t.Helper()
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "article_id", Type: arrow.BinaryTypes.String},
		{Name: "title", Type: arrow.BinaryTypes.String},
		{Name: "text", Type: arrow.BinaryTypes.String},
		{Name: "year", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"p1", "p2"}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"PT1", "PT2"}, nil)
	b.Field(2).(*array.StringBuilder).AppendValues([]string{"PB1", "PB2"}, nil)
	b.Field(3).(*array.Int64Builder).AppendValues([]int64{2021, 2022}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(sc, f, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRun_AliasesMapAndExtra(t *testing.T) {
	dir := t.TempDir()
	l := testutil.NewLake(t)
	p := write(t, dir, "alias.jsonl", strings.Join([]string{
		`{"headline":"H","article":"A text","link":"https://x.org/1","date":"2024-02-01","mood":"calm","nested":{"k":[1,2]}}`,
		`{"title":"T","text":"text wins over nothing","body":"body loses to text? no: content>text>body>article order","year":2019}`,
		`{"title":"AG","description":"only a lead"}`,
	}, "\n"))
	run(t, l, ingest.Options{Paths: []string{p}, Source: "mix"})
	got := testutil.QueryStrings(t, l, `SELECT concat_ws('|', title, content, coalesce(url,'-'), coalesce(published_date,'-'), coalesce(extra,'-'), dataset) FROM corpus.raw ORDER BY line`)
	want := []string{
		`H|A text|https://x.org/1|2024-02-01|{"mood":"calm","nested":{"k":[1,2]}}|mix`,
		`T|text wins over nothing|-|2019|{"body":"body loses to text? no: content>text>body>article order"}|mix`,
		`AG|only a lead|-|-|-|mix`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}

	// --map overrides an alias; the displaced field is kept in extra.
	l2 := testutil.NewLake(t)
	p2 := write(t, dir, "mapped.jsonl", `{"title":"T","content":"short teaser","full_body":"the real body","uid":"U-1"}`+"\n")
	run(t, l2, ingest.Options{Paths: []string{p2}, Map: map[string]string{"content": "full_body", "id": "uid"}})
	got = testutil.QueryStrings(t, l2, `SELECT concat_ws('|', id, content, extra) FROM corpus.raw`)
	if want := []string{`U-1|the real body|{"content":"short teaser"}`}; !slices.Equal(got, want) {
		t.Errorf("mapped row = %q, want %q", got, want)
	}
	if _, err := ingest.ParseMap("content"); !errors.Is(err, ingest.ErrBadMap) {
		t.Errorf("ParseMap without '=': err = %v", err)
	}
	_, err := ingest.Run(context.Background(), l2, ingest.Options{Paths: []string{p2}, Map: map[string]string{"contnet": "x"}})
	if !errors.Is(err, ingest.ErrBadMap) || !strings.Contains(err.Error(), "contnet") {
		t.Errorf("unknown --map field: err = %v", err)
	}
}

func TestRun_StableIDsAndIdempotentReingest(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "ids.jsonl", strings.Join([]string{
		`{"id":42,"title":"own id","content":"c"}`,
		`{"title":"url id","content":"c","url":"https://example.org/a"}`,
		`{"title":"hash id","content":"c"}`,
		`{"title":"hash id","content":"c"}`,
	}, "\n"))
	ids := func() []string {
		l := testutil.NewLake(t)
		res := run(t, l, ingest.Options{Paths: []string{p}})
		wantCounts(t, res, 3, 0, 1)
		again := run(t, l, ingest.Options{Paths: []string{p}})
		wantCounts(t, again, 0, 0, 4)
		if again.AlreadyInLake != 4 {
			t.Errorf("already in lake = %d, want 4", again.AlreadyInLake)
		}
		if n := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.raw`); n != 3 {
			t.Errorf("rows after re-ingest = %d, want 3", n)
		}
		snaps, err := l.Snapshots(context.Background(), spec.Raw.For(nil))
		if err != nil || len(snaps) != 1 {
			t.Errorf("re-ingest made a snapshot: %d snapshots, %v", len(snaps), err)
		}
		return testutil.QueryStrings(t, l, `SELECT id FROM corpus.raw ORDER BY line`)
	}
	first, second := ids(), ids()
	if !slices.Equal(first, second) {
		t.Errorf("ids differ between lakes: %q vs %q", first, second)
	}
	if first[0] != "42" || !strings.HasPrefix(first[1], "u-") || !strings.HasPrefix(first[2], "h-") {
		t.Errorf("ids = %q, want 42, u-…, h-…", first)
	}
}

func TestRun_BadInputBecomesRejects(t *testing.T) {
	dir := t.TempDir()
	huge := `{"title":"huge","content":"` + strings.Repeat("x", 50<<20) + `"}`
	jsonl := write(t, dir, "bad.jsonl", strings.Join([]string{
		strings.TrimSuffix(aggregator(1), "\n"),
		`{"title": "broken", `,
		`{"description":"", "url":"https://no.text/"}`,
		"{\"title\":\"latin1 \xe9t\xe9\",\"content\":\"x\"}",
		huge,
		`[1,2]`,
		`{"id":"good-2","title":"still read after the bad lines","content":"ok"}`,
	}, "\n"))
	empty := write(t, dir, "empty.jsonl", "")
	csvFile := write(t, dir, "bad.csv", "title,content\nT1,C1\nT2,C2,extra column\nT3\n\"T4\",C4\n")
	latin1 := testutil.Shared(t, "corpus/bbc-fulltext/bbc/sport/199.txt")

	l := testutil.NewLake(t)
	res := run(t, l, ingest.Options{Paths: []string{jsonl, empty, csvFile, latin1}})
	wantCounts(t, res, 3+2+1, 7, 0)
	want := map[string]int64{
		ingest.ReasonMalformedJSON: 1, ingest.ReasonMissingText: 1,
		ingest.ReasonTooLarge: 1, ingest.ReasonNotObject: 1, ingest.ReasonEmptyFile: 1, ingest.ReasonCSVColumns: 2,
	}
	for reason, n := range want {
		if got := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.rejects WHERE reason = '`+reason+`'`); got != n {
			t.Errorf("rejects with reason %s = %d, want %d", reason, got, n)
		}
	}
	lines := testutil.QueryStrings(t, l, `SELECT concat(reason, ':', line) FROM corpus.rejects WHERE file LIKE '%bad.jsonl' ORDER BY line`)
	if wantLines := []string{"malformed_json:2", "missing_title_and_content:3", "record_too_large:5", "not_an_object:6"}; !slices.Equal(lines, wantLines) {
		t.Errorf("reject lines = %q, want %q", lines, wantLines)
	}
	if got := testutil.QueryInt(t, l, `SELECT max(length(excerpt)) FROM corpus.rejects`); got > 201 {
		t.Errorf("excerpt of %d characters: want it truncated", got)
	}
	// A Latin-1 JSON line is decoded like every other reader's text, and says how.
	if got := testutil.QueryStrings(t, l, `SELECT concat(title, '|', extra) FROM corpus.raw WHERE file LIKE '%bad.jsonl' AND line = 4`); len(got) != 1 || got[0] != `latin1 été|{"_encoding":"windows-1252"}` {
		t.Errorf("Latin-1 JSON line = %q", got)
	}
	// The Latin-1 BBC file is decoded, not lost, and says how.
	got := testutil.QueryStrings(t, l, `SELECT concat(title, '|', extra) FROM corpus.raw WHERE file LIKE '%199.txt'`)
	if len(got) != 1 || !strings.Contains(got[0], `"_encoding":"windows-1252"`) {
		t.Errorf("Latin-1 article = %q", got)
	}
	if n := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.raw WHERE content LIKE '%�%'`); n != 0 {
		t.Errorf("%d rows hold replacement characters", n)
	}

	// Re-ingesting records no reject twice.
	again := run(t, l, ingest.Options{Paths: []string{jsonl, empty, csvFile}})
	if again.RejectsKnown != 7 {
		t.Errorf("known rejects on rerun = %d, want 7", again.RejectsKnown)
	}
	if n := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.rejects`); n != 7 {
		t.Errorf("rejects after rerun = %d, want 7", n)
	}
}

func TestRun_StrictCommitsNothing(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "s.jsonl", aggregator(5)+"{not json\n")
	l := testutil.NewLake(t)
	_, err := ingest.Run(context.Background(), l, ingest.Options{Paths: []string{p}, Strict: true})
	if !errors.Is(err, ingest.ErrStrict) || !strings.Contains(err.Error(), "s.jsonl line 6") {
		t.Fatalf("err = %v, want ErrStrict naming s.jsonl line 6", err)
	}
	for _, tbl := range []string{"corpus.raw", "corpus.rejects"} {
		if n := testutil.QueryInt(t, l, "SELECT count(*) FROM "+tbl); n != 0 {
			t.Errorf("%s has %d rows after a strict failure", tbl, n)
		}
	}
	parquet, _ := filepath.Glob(filepath.Join(l.Root, "warehouse", "*", "*", "data", "*.parquet"))
	if len(parquet) != 0 {
		t.Errorf("strict failure left data files: %v", parquet)
	}
}

func TestRun_TimeTravel(t *testing.T) {
	dir := t.TempDir()
	l := testutil.NewLake(t)
	run(t, l, ingest.Options{Paths: []string{write(t, dir, "one.jsonl", aggregator(2))}})
	run(t, l, ingest.Options{Paths: []string{write(t, dir, "two.jsonl", strings.ReplaceAll(aggregator(5), "article-", "other-"))}})
	for q, want := range map[string]int64{
		`SELECT count(*) FROM "corpus.raw@1"`: 2,
		`SELECT count(*) FROM "corpus.raw@2"`: 7,
		`SELECT count(*) FROM corpus.raw`:     7,
	} {
		if got := testutil.QueryInt(t, l, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	snaps, err := l.Snapshots(context.Background(), spec.Raw.For(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || snaps[1].AddedRows != 5 || snaps[1].TotalRows != 7 || snaps[1].Stage != "ingest" || snaps[1].Inputs == "" {
		t.Errorf("snapshots = %+v", snaps)
	}
}

// The three real corpora ingest with rows + rejects + duplicates = records.
func TestRun_RealCorpora(t *testing.T) {
	cases := []struct {
		path                   string
		records, rows, rejects int64
	}{
		{"corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz", 5129, 5129, 0},
		{"corpus/bbc-fulltext/bbc", 2225, 2127, 0}, // 98 byte-identical copies
		{"corpus/ag_news/test.csv", 7600, 7600, 0},
	}
	l := testutil.NewLake(t)
	for _, tc := range cases {
		res := run(t, l, ingest.Options{Paths: []string{testutil.Shared(t, tc.path)}})
		if res.RowsIn != tc.records || res.RowsOut != tc.rows || res.Rejected != tc.rejects {
			t.Errorf("%s: %d records, %d rows, %d rejects, %d duplicates; want %d records, %d rows, %d rejects",
				tc.path, res.RowsIn, res.RowsOut, res.Rejected, res.Duplicates, tc.records, tc.rows, tc.rejects)
		}
	}
	if got := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.raw WHERE dataset = 'bbc' AND tags = ['sport']`); got == 0 {
		t.Error("BBC rows carry no folder tag")
	}
	if got := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.raw WHERE dataset = 'test' AND content = description AND extra LIKE '{"label":%'`); got != 7600 {
		t.Errorf("AG News rows with description as content and label in extra = %d, want 7600", got)
	}
	if got := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.raw WHERE id = '4380' OR (dataset LIKE 'ai-tech%' AND published_date IS NOT NULL)`); got < 5129 {
		t.Errorf("ai-tech rows with a year = %d", got)
	}
}
