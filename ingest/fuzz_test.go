package ingest

import (
	"bytes"
	"context"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// The fuzz targets feed each reader arbitrary bytes through the real
// collector (without a lake commit) and check the invariants every ingest
// promises: no panic; every record read is a row, a reject or a duplicate;
// every string that would be stored (rows, tags, rejects) is valid UTF-8.
// Crashers found stay in testdata/fuzz/<FuzzName>/ and replay in go test.

// rawArrowSchema is corpus.raw's Arrow schema, built here so the fuzz
// targets need no lake.
func rawArrowSchema(t testing.TB) *arrow.Schema {
	var fields []arrow.Field
	for _, c := range spec.Raw.Schema(nil) {
		var typ arrow.DataType
		switch c.Type {
		case lake.String:
			typ = arrow.BinaryTypes.String
		case lake.Long:
			typ = arrow.PrimitiveTypes.Int64
		case lake.TimestampTz:
			typ = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		case lake.StringList:
			typ = arrow.ListOf(arrow.BinaryTypes.String)
		default:
			t.Fatalf("column %s: type %s not handled by the fuzz schema", c.Name, c.Type)
		}
		fields = append(fields, arrow.Field{Name: c.Name, Type: typ, Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// checked is a collector whose batches are checked as they are cut.
type checked struct {
	*collector
	t    testing.TB
	rows int64
}

func newChecked(t testing.TB) *checked {
	c := &checked{collector: newCollector(rawArrowSchema(t), map[string]string{}, "fuzz"), t: t}
	c.dataset = "fuzz"
	c.yield = func(rec arrow.RecordBatch) bool {
		defer rec.Release()
		c.rows += rec.NumRows()
		for i, col := range rec.Columns() {
			checkStrings(t, rec.Schema().Field(i).Name, col)
		}
		return true
	}
	return c
}

func checkStrings(t testing.TB, name string, col arrow.Array) {
	switch a := col.(type) {
	case *array.String:
		for i := 0; i < a.Len(); i++ {
			if !a.IsNull(i) && !utf8.ValidString(a.Value(i)) {
				t.Fatalf("column %s row %d is not valid UTF-8: %q", name, i, a.Value(i))
			}
		}
	case *array.List:
		checkStrings(t, name, a.ListValues())
	}
}

// done flushes and checks the counts and the rejects.
func (c *checked) done(err error) {
	t := c.t
	if err != nil {
		t.Fatalf("read error on bytes in memory: %v", err)
	}
	c.flush()
	var r Result
	c.count(&r)
	if r.RowsIn != r.RowsOut+r.Rejected+r.Duplicates {
		t.Fatalf("%d records read, %d rows + %d rejects + %d duplicates (rejects: %+v)", r.RowsIn, r.RowsOut, r.Rejected, r.Duplicates, c.rejects)
	}
	if r.RowsIn == 0 {
		t.Fatalf("nothing read and nothing rejected: a file must give at least one row or reject")
	}
	if c.rows != r.RowsOut {
		t.Fatalf("%d rows in batches, %d counted", c.rows, r.RowsOut)
	}
	for _, rj := range c.rejects {
		for _, s := range []string{rj.File, rj.Reason, rj.Detail, rj.Excerpt} {
			if !utf8.ValidString(s) {
				t.Fatalf("reject %+v holds invalid UTF-8", rj)
			}
		}
	}
}

// fuzzStream reads data as one file of format f.
func fuzzStream(t *testing.T, f format, data []byte, max uint16, m map[string]string) {
	c := newChecked(t)
	in := &src{file: "fuzz.input", m: newMapping(m), max: int(max%4096) + 1, tag: "t\xe9g"}
	c.done(readStream(context.Background(), bytes.NewReader(data), f, in, 2, c))
}

func FuzzReadJSONL(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"title":"t","content":"c"}` + "\n" + `{"title":"t"}` + "\n\n[1]\n{bad\n",
		"\xEF\xBB\xBF{\"title\":\"bom\",\"content\":\"x\"}\n",
		"\xFF\xFE{\x00}\x00",
		"{\"title\":\"caf\xe9\",\"tags\":[\"\xff\",1],\"x\":{\"k\":\"\xe9\"}}\n",
		`{"title":"\ud800","content":"lone surrogate"}`,
	} {
		f.Add([]byte(s), uint16(64))
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint16) { fuzzStream(t, fmtJSONL, data, max, nil) })
}

func FuzzReadJSONArray(f *testing.F) {
	for _, s := range []string{
		`[{"title":"a","content":"b"}, {"title":"a","content":"b"}, 5, "s", {"x":[[[]]]}, {bad}]`,
		`[{"title":"a",`, `[`, `[,]`, `[{"title":"x"} {"title":"y"}]`, `{"title":"obj"}`,
		"[{\"title\":\"caf\xe9\",\"content\":\"\\\"q\\\\\"}]",
	} {
		f.Add([]byte(s), uint16(64))
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint16) { fuzzStream(t, fmtJSON, data, max, nil) })
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"title,content\n5\" screen review,b\n\"q \"\"x\"\"\",c\n",
		"title,content\nfirst,ok\n\"never closed,x\nrow,body\n",
		"title,content\r\nT,\"multi\r\nline\"\r\n\r\nU,V,W\n",
		"First headline,first body\n",
		"\xEF\xBB\xBFtitle,title,\n\xe9,\xff,\n",
	} {
		f.Add([]byte(s), uint16(64), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint16, positional bool) {
		var m map[string]string
		if positional {
			m = map[string]string{"title": "column_1", "content": "column_2"}
		}
		fuzzStream(t, fmtCSV, data, max, m)
	})
}

func FuzzReadText(f *testing.F) {
	for _, s := range []string{"Title\n\nBody.\n", "", "\n\n  \n", "\xFE\xFF\x00T\x00\n\x00b", "caf\xe9\r\nbody"} {
		f.Add([]byte(s), uint16(64))
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint16) { fuzzStream(t, fmtText, data, max, nil) })
}

// FuzzReadParquet writes fuzzed strings (column names and values, invalid
// UTF-8 included) as a Parquet file, optionally corrupts one byte of it,
// and reads it back.
func FuzzReadParquet(f *testing.F) {
	f.Add("title", "caf\xe9", "content", "body", uint8(3), uint16(0), byte(0))
	f.Add("headline", "", "text", "", uint8(1), uint16(0), byte(0))
	f.Add("title", "t", "title", "dup", uint8(2), uint16(40), byte(0xff))
	f.Fuzz(func(t *testing.T, name1, val1, name2, val2 string, rows uint8, at uint16, flip byte) {
		sc := arrow.NewSchema([]arrow.Field{
			{Name: name1, Type: arrow.BinaryTypes.String, Nullable: true},
			{Name: name2, Type: arrow.BinaryTypes.String, Nullable: true},
		}, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
		defer b.Release()
		for i := range int(rows % 8) {
			for c, v := range []string{val1, val2} {
				if i%3 == 2 {
					b.Field(c).AppendNull()
				} else {
					b.Field(c).(*array.StringBuilder).Append(v)
				}
			}
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		var buf bytes.Buffer
		w, err := pqarrow.NewFileWriter(sc, &buf, nil, pqarrow.DefaultWriterProps())
		if err != nil {
			t.Skip("not writable as Parquet:", err)
		}
		if err := w.Write(rec); err != nil {
			t.Skip("not writable as Parquet:", err)
		}
		if err := w.Close(); err != nil {
			t.Skip("not writable as Parquet:", err)
		}
		data := buf.Bytes()
		if flip != 0 && len(data) > 0 {
			data[int(at)%len(data)] ^= flip
		}
		c := newChecked(t)
		in := &src{file: "fuzz.parquet", m: newMapping(nil), max: 1 << 20}
		c.done(readParquet(context.Background(), bytes.NewReader(data), in, c))
	})
}
