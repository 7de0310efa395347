package ingest_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
)

// wantRejects checks the reasons and lines of the lake's rejects of files matching like.
func wantRejects(t *testing.T, l *lake.Lake, like string, want ...string) {
	t.Helper()
	got := testutil.QueryStrings(t, l, `SELECT concat(reason, ':', line) FROM corpus.rejects WHERE file LIKE '`+like+`' ORDER BY line, reason`)
	if !slices.Equal(got, want) {
		t.Errorf("rejects of %s = %q, want %q", like, got, want)
	}
}

// Bytes that are not UTF-8, from any reader and in file and folder names,
// are decoded and noted: the whole table stays readable (defect 4).
func TestRun_InvalidUTF8NeverStored(t *testing.T) {
	dir := t.TempDir()
	l := testutil.NewLake(t)
	arr := write(t, dir, "a.json", "[{\"id\":\"j1\",\"title\":\"caf\xe9\",\"content\":\"b\",\"nested\":{\"k\":\"\xe9\"}}]")
	pq := filepath.Join(dir, "p.parquet")
	writeStrings(t, pq, []string{"title", "content"}, [][]string{{"caf\xe9 p", "x\xff"}})
	txt := write(t, dir, "d\xe9j\xe0/caf\xe9.txt", "Title\nbody\n")
	res := run(t, l, ingest.Options{Paths: []string{arr, pq, filepath.Dir(txt)}})
	wantCounts(t, res, 3, 0, 0)
	got := testutil.QueryStrings(t, l, `SELECT concat_ws('|', title, content, coalesce(extra, '-'), coalesce(tags::varchar, '-'), regexp_extract(file, '[^/]*/[^/]*$')) FROM corpus.raw ORDER BY content`)
	want := []string{
		`café|b|{"nested":{"k":"é"},"_encoding":"windows-1252"}|-|` + filepath.Base(dir) + `/a.json`,
		`Title|body|-|[déjà]|déjà/café.txt`,
		`café p|xÿ|{"_encoding":"windows-1252"}|-|` + filepath.Base(dir) + `/p.parquet`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
}

// writeStrings writes a Parquet file of string columns.
func writeStrings(t *testing.T, path string, cols []string, rows [][]string) {
	t.Helper()
	var fields []arrow.Field
	for _, c := range cols {
		fields = append(fields, arrow.Field{Name: c, Type: arrow.BinaryTypes.String, Nullable: true})
	}
	sc := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for _, r := range rows {
		for i, v := range r {
			b.Field(i).(*array.StringBuilder).Append(v)
		}
	}
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
}

// CSV with broken quoting or no header is read row by row, never panics and
// never loses the rows after a bad one (defect 5).
func TestRun_CSVRecovery(t *testing.T) {
	dir := t.TempDir()
	t.Run("bare quote", func(t *testing.T) {
		l := testutil.NewLake(t)
		p := write(t, dir, "bare.csv", "title,content\n5\" screen review,b\n\"quoted \"inner\" text\",c\n")
		res := run(t, l, ingest.Options{Paths: []string{p}})
		wantCounts(t, res, 2, 0, 0)
		got := testutil.QueryStrings(t, l, `SELECT title FROM corpus.raw ORDER BY line`)
		if want := []string{`5" screen review`, `quoted "inner" text`}; !slices.Equal(got, want) {
			t.Errorf("titles = %q, want %q", got, want)
		}
	})
	t.Run("quote never closed", func(t *testing.T) {
		l := testutil.NewLake(t)
		var b strings.Builder
		b.WriteString("title,content\nfirst,ok\n\"never closed,x\n")
		for i := range 1000 {
			b.WriteString("row " + strconv.Itoa(i) + ",body\n")
		}
		p := write(t, dir, "open.csv", b.String())
		res := run(t, l, ingest.Options{Paths: []string{p}})
		wantCounts(t, res, 1001, 1, 0)
		wantRejects(t, l, "%open.csv", "csv_parse_error:3")
	})
	t.Run("multi-line field", func(t *testing.T) {
		l := testutil.NewLake(t)
		p := write(t, dir, "multi.csv", "title,content\nT,\"line one\nline two\"\nU,next\n")
		res := run(t, l, ingest.Options{Paths: []string{p}})
		wantCounts(t, res, 2, 0, 0)
		got := testutil.QueryStrings(t, l, `SELECT concat(line, ':', content) FROM corpus.raw ORDER BY line`)
		if want := []string{"2:line one\nline two", "4:next"}; !slices.Equal(got, want) {
			t.Errorf("rows = %q, want %q", got, want)
		}
	})
	t.Run("no header", func(t *testing.T) {
		l := testutil.NewLake(t)
		p := write(t, dir, "headless.csv", "First headline,first body\nSecond headline,second body\n")
		res := run(t, l, ingest.Options{Paths: []string{p}})
		wantCounts(t, res, 0, 1, 0)
		if len(res.Rejects) != 1 || res.Rejects[0].Reason != ingest.ReasonCSVNoHeader || !strings.Contains(res.Rejects[0].Detail, "--map title=column_1") {
			t.Errorf("rejects = %+v, want one %s saying how to map", res.Rejects, ingest.ReasonCSVNoHeader)
		}
		mapped := run(t, testutil.NewLake(t), ingest.Options{Paths: []string{p}, Map: map[string]string{"title": "column_1", "content": "column_2"}})
		wantCounts(t, mapped, 2, 0, 0)
	})
}

// A record over --max-record-bytes is rejected in every format without being
// held in memory (defect 6): under a 64 KiB limit, ingesting a file with one
// 16 MiB record allocates less than 8 MiB more than the same file with that
// record just over the limit (same rejects, same lake work). Buffering the
// record even once would cost 16 MiB; the margin of 8 MiB absorbs the lake's
// own allocation noise (up to ~2.3 MiB seen on a loaded machine).
func TestRun_HugeRecordsBoundedMemory(t *testing.T) {
	const limit = 64 << 10
	cases := []struct{ name, content, reject string }{
		{"big.json", `[{"title":"a","content":"b"},` + "\n" + `{"title":"huge","content":"HUGE"},` + "\n" + `{"title":"c","content":"d"}]`, "record_too_large:2"},
		{"big.csv", "title,content\na,b\nhuge,\"HUGE\"\nc,d\n", "record_too_large:3"},
		{"lines.csv", "title,content\na,b\nhuge,\"LINES\"\nc,d\n", "record_too_large:3"},
		{"big.jsonl", `{"title":"a","content":"b"}` + "\n" + `{"title":"huge","content":"HUGE"}` + "\n" + `{"title":"c","content":"d"}` + "\n", "record_too_large:2"},
	}
	ingestAlloc := func(t *testing.T, name, content, reject string) uint64 {
		p := write(t, t.TempDir(), name, content)
		l := testutil.NewLake(t)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res := run(t, l, ingest.Options{Paths: []string{p}, MaxRecordBytes: limit, Workers: 1})
		runtime.ReadMemStats(&after)
		wantCounts(t, res, 2, 1, 0)
		wantRejects(t, l, "%"+name, reject)
		return after.TotalAlloc - before.TotalAlloc
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			small := strings.NewReplacer("HUGE", strings.Repeat("x", limit+1), "LINES", strings.Repeat("line\n", limit/5+1)).Replace(tc.content)
			huge := strings.NewReplacer("HUGE", strings.Repeat("x", 16<<20), "LINES", strings.Repeat("many lines\n", 1<<20)).Replace(tc.content)
			base := ingestAlloc(t, tc.name, small, tc.reject)
			got := ingestAlloc(t, tc.name, huge, tc.reject)
			t.Logf("allocated %d KiB with a record just over the limit, %d KiB with a 16 MiB one", base>>10, got>>10)
			if got > base+8<<20 {
				t.Errorf("a 16 MiB record over a %d KiB limit cost %d KiB more allocation than one just over it: it was buffered", limit>>10, (got-base)>>10)
			}
		})
	}
}

// A too-deep element of a JSON array is one reject; the next element is read.
func TestRun_JSONArrayDeepElement(t *testing.T) {
	dir := t.TempDir()
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	p := write(t, dir, "deep.json", `[{"title":"a","content":"b"},`+"\n"+`{"title":"deep","x":`+deep+`},`+"\n"+`{"title":"c","content":"d"}, {"title":"e","content":"f"}]`)
	l := testutil.NewLake(t)
	res := run(t, l, ingest.Options{Paths: []string{p}})
	wantCounts(t, res, 3, 1, 0)
	wantRejects(t, l, "%deep.json", "malformed_json:2")
}

// A JSON array's rejects name the line each element starts on and, for
// arrays on one line, the element's place in the array.
func TestRun_JSONArrayRejectsNameTheElement(t *testing.T) {
	dir := t.TempDir()
	pretty := write(t, dir, "pretty.json", "[\n  {\"title\":\"a\",\"content\":\"b\"},\n  5,\n  {\"x\":1},\n\n  {\"title\":\"c\",\n   \"content\":\"d\"}, {bad}\n]\n")
	flat := write(t, dir, "flat.json", `[{"title":"e","content":"f"}, 5, {"x":1}, {"title":"g","content":"h"}, "s"]`)
	l := testutil.NewLake(t)
	res := run(t, l, ingest.Options{Paths: []string{pretty, flat}})
	wantCounts(t, res, 4, 6, 0)
	wantRejects(t, l, "%pretty.json", "not_an_object:3", "missing_title_and_content:4", "malformed_json:7")
	got := testutil.QueryStrings(t, l, `SELECT concat(line, ' ', reason, ' ', split_part(detail, ':', 1)) FROM corpus.rejects WHERE file LIKE '%flat.json' ORDER BY detail`)
	want := []string{"1 not_an_object element 2 of the array", "1 missing_title_and_content element 3 of the array", "1 not_an_object element 5 of the array"}
	if !slices.Equal(got, want) {
		t.Errorf("rejects of flat.json = %q, want %q", got, want)
	}
	if got := testutil.QueryStrings(t, l, `SELECT concat(title, ':', line) FROM corpus.raw WHERE file LIKE '%pretty.json' ORDER BY line`); !slices.Equal(got, []string{"a:2", "c:6"}) {
		t.Errorf("rows of pretty.json = %q, want a on line 2, c on line 6", got)
	}
}

func utf16Bytes(s string, big bool) string {
	u := utf16.Encode([]rune(s))
	out := make([]byte, 2+2*len(u))
	if big {
		out[0], out[1] = 0xFE, 0xFF
	} else {
		out[0], out[1] = 0xFF, 0xFE
	}
	for i, c := range u {
		if big {
			binary.BigEndian.PutUint16(out[2+2*i:], c)
		} else {
			binary.LittleEndian.PutUint16(out[2+2*i:], c)
		}
	}
	return string(out)
}

// UTF-16 with a BOM is decoded in every text format, and a UTF-8 BOM is
// dropped, not taken for part of the first record (defect 6).
func TestRun_ByteOrderMarks(t *testing.T) {
	dir := t.TempDir()
	l := testutil.NewLake(t)
	paths := []string{
		write(t, dir, "le.txt", utf16Bytes("Café title\nBody über\n", false)),
		write(t, dir, "be.jsonl", utf16Bytes(`{"title":"Être","content":"c1"}`+"\n", true)),
		write(t, dir, "le.csv", utf16Bytes("title,content\nNaïve,c2\n", false)),
		write(t, dir, "le.json", utf16Bytes(`[{"title":"Jürgen","content":"c3"}]`, false)),
		write(t, dir, "bom.jsonl", "\xEF\xBB\xBF"+`{"title":"first","content":"c4"}`+"\n"),
		write(t, dir, "bom.csv", "\xEF\xBB\xBFtitle,content\nsecond,c5\n"),
	}
	res := run(t, l, ingest.Options{Paths: paths})
	wantCounts(t, res, 6, 0, 0)
	got := testutil.QueryStrings(t, l, `SELECT concat_ws('|', title, content, coalesce(extra, '-')) FROM corpus.raw ORDER BY title`)
	want := []string{
		`Café title|Body über|{"_encoding":"utf-16le"}`,
		`Jürgen|c3|{"_encoding":"utf-16le"}`,
		`Naïve|c2|{"_encoding":"utf-16le"}`,
		`first|c4|-`,
		`second|c5|-`,
		`Être|c1|{"_encoding":"utf-16be"}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
}

// A folder with a symlink loop, a dangling link and an unreadable subfolder
// ingests the rest; each bad entry is a reject naming its path (defect 6).
func TestRun_FolderWithBadEntries(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "in/a.txt", "Title A\nbody a\n")
	write(t, dir, "in/ok/b.txt", "Title B\nbody b\n")
	must(t, os.Symlink("loop.txt", filepath.Join(dir, "in/loop.txt")))
	must(t, os.Symlink("missing.txt", filepath.Join(dir, "in/dangling.txt")))
	must(t, os.Symlink(".", filepath.Join(dir, "in/ok/self")))
	want := []string{"unreadable:0", "unreadable:0"}
	if os.Geteuid() != 0 {
		write(t, dir, "in/locked/c.txt", "Title C\nbody c\n")
		must(t, os.Chmod(filepath.Join(dir, "in/locked"), 0))
		t.Cleanup(func() { os.Chmod(filepath.Join(dir, "in/locked"), 0o755) })
		want = append(want, "unreadable:0")
	} else {
		t.Log("running as root: an unreadable folder cannot be made here (TestExpand_UnreadableFolder covers it)")
	}
	l := testutil.NewLake(t)
	res := run(t, l, ingest.Options{Paths: []string{filepath.Join(dir, "in")}})
	wantCounts(t, res, 2, int64(len(want)), 0)
	wantRejects(t, l, "%", want...)
	for _, name := range []string{"loop.txt", "dangling.txt"} {
		if n := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.rejects WHERE file LIKE '%/in/`+name+`'`); n != 1 {
			t.Errorf("rejects naming %s = %d, want 1", name, n)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The same bad file given as an absolute path, a relative one, from another
// folder and through a symlinked folder has its rejects recorded once (defect 12).
func TestRun_RejectsOncePerFile(t *testing.T) {
	dir := t.TempDir()
	bad := write(t, dir, "data/bad.jsonl", `{"title":"ok","content":"c"}`+"\n{broken\n")
	must(t, os.Symlink(filepath.Join(dir, "data"), filepath.Join(dir, "link")))
	l := testutil.NewLake(t)
	run(t, l, ingest.Options{Paths: []string{bad}})
	t.Chdir(filepath.Join(dir, "data"))
	for _, p := range []string{"bad.jsonl", "./bad.jsonl", "../data/bad.jsonl", "../link/bad.jsonl", "../link"} {
		res := run(t, l, ingest.Options{Paths: []string{p}})
		if res.RejectsKnown != 1 {
			t.Errorf("%s: known rejects = %d, want 1", p, res.RejectsKnown)
		}
	}
	if n := testutil.QueryInt(t, l, `SELECT count(*) FROM corpus.rejects`); n != 1 {
		t.Errorf("rejects after 6 spellings of one file = %d, want 1", n)
	}
}

// `distill ingest .` over a folder holding the lake does not read the lake's
// own files, and says it skipped them (defect 12).
func TestRun_SkipsTheLake(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.jsonl", `{"title":"ok","content":"c"}`+"\n")
	l, err := lake.Create(context.Background(), filepath.Join(dir, "lake"))
	must(t, err)
	t.Cleanup(func() { l.Close() })
	run(t, l, ingest.Options{Paths: []string{write(t, dir, "first/b.jsonl", `{"title":"b","content":"c"}`+"\n")}})
	t.Chdir(dir)
	res := run(t, l, ingest.Options{Paths: []string{"."}})
	wantCounts(t, res, 1, 0, 1)
	if len(res.SkippedFolders) != 1 || !strings.Contains(res.SkippedFolders[0], "the lake itself") {
		t.Errorf("skipped folders = %q, want the lake", res.SkippedFolders)
	}
	if got := testutil.QueryStrings(t, l, `SELECT DISTINCT dataset FROM corpus.raw WHERE file LIKE '%a.jsonl'`); !slices.Equal(got, []string{filepath.Base(dir)}) {
		t.Errorf("dataset of `ingest .` = %q, want the folder's name %q", got, filepath.Base(dir))
	}
}

// rows_in counts records as they are read: blank lines are not records, an
// empty file is one (rejected) record.
func TestRun_RowsInIsRead(t *testing.T) {
	dir := t.TempDir()
	l := testutil.NewLake(t)
	res := run(t, l, ingest.Options{Paths: []string{
		write(t, dir, "a.jsonl", aggregator(3)+"\n\n"+strings.TrimSuffix(aggregator(1), "\n")+"\n{bad\n"),
		write(t, dir, "b.csv", "title,content\nx,y\n\nz,w,extra\n"),
		write(t, dir, "c.json", `[{"title":"t","content":"c"}, 5]`),
		write(t, dir, "empty.jsonl", ""),
	}})
	if res.RowsIn != 5+2+2+1 {
		t.Errorf("rows_in = %d, want 10 records read", res.RowsIn)
	}
	wantCounts(t, res, 5, 4, 1)
}
