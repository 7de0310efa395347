package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	pqfile "github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// format of an input file.
type format int

const (
	fmtUnknown format = iota
	fmtJSONL
	fmtJSON // JSONL or a JSON array, decided by the first byte
	fmtCSV
	fmtParquet
	fmtText
)

// detect names the format from the file name (after removing .gz).
func detect(name string) (format, bool) {
	lower := strings.ToLower(name)
	gz := strings.HasSuffix(lower, ".gz")
	lower = strings.TrimSuffix(lower, ".gz")
	switch filepath.Ext(lower) {
	case ".jsonl", ".ndjson":
		return fmtJSONL, gz
	case ".json":
		return fmtJSON, gz
	case ".csv":
		return fmtCSV, gz
	case ".parquet":
		return fmtParquet, gz
	case ".txt":
		return fmtText, gz
	}
	return fmtUnknown, gz
}

// src is the input a reader reads: the file as stored, how its fields map,
// the record limit and the notes every row of the file carries.
type src struct {
	file  string // as stored in the file column (see displayPath)
	tag   string // the folder a .txt file is in, "" for none
	m     mapping
	max   int
	notes map[string]string
}

// sink receives the records of one input, in input order. Each reader calls
// read once per record it reads (a JSON line or element, a CSV row, a text
// file, a Parquet row) before judging it, and a file it cannot read at all
// counts as one record, so read = rows + rejects + duplicates is a check,
// not an identity.
type sink interface {
	read(n int)
	article(a Article)
	reject(r Reject)
}

// fileReject rejects a whole file (or what is left of it) as one record.
func fileReject(s sink, r Reject) {
	s.read(1)
	s.reject(r)
}

func emit(s sink, o outcome) {
	if o.reject != nil {
		s.reject(*o.reject)
	} else {
		s.article(o.a)
	}
}

// readText makes one article of a text file: the first non-empty line is
// the title, the rest the content, and the parent folder a tag. r yields
// UTF-8 or legacy bytes (a BOM already decoded, see decodeBOM).
func readText(r io.Reader, in *src, s sink) error {
	data, err := io.ReadAll(io.LimitReader(r, int64(in.max)+1))
	if err != nil {
		return err
	}
	if len(data) > in.max {
		fileReject(s, Reject{File: in.file, Line: 1, Reason: ReasonTooLarge, Detail: fmt.Sprintf("file exceeds the limit of %d bytes", in.max), Excerpt: excerpt(data)})
		return nil
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	if strings.TrimSpace(text) == "" {
		fileReject(s, Reject{File: in.file, Reason: ReasonEmptyFile, Detail: "the text file is empty"})
		return nil
	}
	s.read(1)
	trimmed := strings.TrimLeft(text, " \t\n")
	title, body, _ := strings.Cut(trimmed, "\n")
	fields := []field{
		{key: "title", text: strings.TrimSpace(title), kind: kString},
		{key: "content", text: strings.TrimSpace(body), kind: kString},
	}
	if in.tag != "" {
		tag := validPath(in.tag)
		fields = append(fields, field{key: "tags", kind: kArray, list: []string{tag}, json: mustJSON([]string{tag})})
	}
	a, reason := build(in.m, fields, in.notes)
	if reason != "" {
		s.reject(Reject{File: in.file, Line: 1, Reason: reason, Detail: "the file has no title and no content", Excerpt: excerpt(data)})
		return nil
	}
	a.File, a.Line = in.file, 1
	s.article(a)
	return nil
}

// textTag is the tag of a .txt file: the name of the folder it is in.
func textTag(path string) string {
	tag := filepath.Base(filepath.Dir(path))
	if tag == "." || tag == string(filepath.Separator) {
		return ""
	}
	return tag
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// readParquet reads every row of a Parquet file; columns become fields by
// name. The Parquet decoder panics on some corrupt files (a flipped byte in a
// page header, found by FuzzReadParquet): that panic is the decoder's, not
// ours, so it is recovered here and the rest of the file becomes one reject,
// the rows read before it kept.
func readParquet(ctx context.Context, r parquet.ReaderAtSeeker, in *src, s sink) (err error) {
	var line int64
	defer func() {
		if p := recover(); p != nil {
			fileReject(s, Reject{File: in.file, Line: line + 1, Reason: ReasonUnreadable,
				Detail: fmt.Sprintf("corrupt Parquet data: rows from %d on cannot be read (the decoder failed: %v)", line+1, p)})
			err = nil
		}
	}()
	return readParquetRows(ctx, r, in, s, &line)
}

func readParquetRows(ctx context.Context, r parquet.ReaderAtSeeker, in *src, s sink, lineOut *int64) error {
	pf, err := pqfile.NewParquetReader(r)
	if err != nil {
		fileReject(s, Reject{File: in.file, Reason: ReasonUnreadable, Detail: "not a Parquet file: " + err.Error()})
		return nil
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 4096}, memory.DefaultAllocator)
	if err != nil {
		fileReject(s, Reject{File: in.file, Reason: ReasonUnreadable, Detail: err.Error()})
		return nil
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		fileReject(s, Reject{File: in.file, Reason: ReasonUnreadable, Detail: err.Error()})
		return nil
	}
	defer rr.Release()
	var line int64
	for rr.Next() {
		rec := rr.RecordBatch()
		sc := rec.Schema()
		for row := 0; row < int(rec.NumRows()); row++ {
			line++
			fields := make([]field, 0, rec.NumCols())
			for c := 0; c < int(rec.NumCols()); c++ {
				fields = append(fields, arrowField(sc.Field(c).Name, rec.Column(c), row))
			}
			// Counted once its fields are decoded: a decoder panic before
			// this point leaves the row to the whole-file reject.
			s.read(1)
			*lineOut = line
			a, reason := build(in.m, fields, in.notes)
			if reason != "" {
				s.reject(Reject{File: in.file, Line: line, Reason: reason, Detail: "the row has no title and no content"})
				continue
			}
			a.File, a.Line = in.file, line
			s.article(a)
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fileReject(s, Reject{File: in.file, Line: line + 1, Reason: ReasonUnreadable, Detail: fmt.Sprintf("rows from %d on cannot be read: %v", line+1, err)})
	} else if line == 0 {
		fileReject(s, Reject{File: in.file, Reason: ReasonEmptyFile, Detail: "the Parquet file has no rows"})
	}
	return nil
}

func arrowField(name string, col arrow.Array, row int) field {
	if col.IsNull(row) {
		return field{key: name, json: []byte("null"), kind: kNull}
	}
	if sa, ok := col.(*array.String); ok {
		return field{key: name, text: sa.Value(row), kind: kString}
	}
	if sa, ok := col.(*array.LargeString); ok {
		return field{key: name, text: sa.Value(row), kind: kString}
	}
	v := col.GetOneForMarshal(row)
	b, err := json.Marshal(v)
	if err != nil {
		return field{key: name, text: col.ValueStr(row), kind: kString}
	}
	f := field{key: name, json: b, text: string(b), kind: kNumber}
	if s, ok := v.(string); ok {
		f.text, f.kind = s, kString
	}
	if _, ok := col.(array.ListLike); ok {
		f.kind = kArray
		var els []any
		if json.Unmarshal(b, &els) == nil {
			for _, e := range els {
				if s, ok := e.(string); ok {
					f.list = append(f.list, s)
				} else {
					f.list = append(f.list, string(mustJSON(e)))
				}
			}
		}
	}
	return f
}
