package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pqfile "github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/valyala/fastjson"
	"golang.org/x/text/encoding/charmap"
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

// readJSONArray reads a file holding one JSON array of objects (or a single
// object). Arrays are read whole, not streamed: use JSONL for big inputs.
// Each record's line is the line its element starts on.
func readJSONArray(data []byte, file string, m mapping, s sink) {
	var p fastjson.Parser
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		v, err := p.ParseBytes(data)
		if err != nil {
			s.reject(Reject{File: file, Line: 1, Reason: ReasonMalformedJSON, Detail: err.Error(), Excerpt: excerpt(data)})
			return
		}
		emit(s, objectOutcome(v, data, file, 1, m))
		return
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		s.reject(Reject{File: file, Line: 1, Reason: ReasonMalformedJSON, Detail: err.Error(), Excerpt: excerpt(data)})
		return
	}
	n := 0
	for dec.More() {
		off := dec.InputOffset()
		off += leadingSpace(data[off:])
		line := lineAt(data, off)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				line = lineAt(data, se.Offset)
			}
			s.reject(Reject{File: file, Line: line, Reason: ReasonMalformedJSON,
				Detail: err.Error() + " (the rest of the array cannot be read)", Excerpt: excerpt(data[off:])})
			return
		}
		n++
		v, err := p.ParseBytes(raw)
		if err != nil {
			s.reject(Reject{File: file, Line: line, Reason: ReasonMalformedJSON, Detail: err.Error(), Excerpt: excerpt(raw)})
			continue
		}
		emit(s, objectOutcome(v, raw, file, line, m))
	}
	if n == 0 {
		s.reject(Reject{File: file, Reason: ReasonEmptyFile, Detail: "the JSON array is empty"})
	}
}

func emit(s sink, o outcome) {
	if o.reject != nil {
		s.reject(*o.reject)
	} else {
		s.article(o.a)
	}
}

func leadingSpace(b []byte) int64 {
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\n' || b[n] == '\r' || b[n] == '\t' || b[n] == ',') {
		n++
	}
	return int64(n)
}

func lineAt(data []byte, off int64) int64 {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return int64(bytes.Count(data[:off], []byte{'\n'})) + 1
}

// readCSV reads a CSV file with a header row. A row with the wrong number of
// columns or broken quoting is rejected; the next row is read as usual.
func readCSV(ctx context.Context, r io.Reader, file string, m mapping, opts *Options, s sink) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		s.reject(Reject{File: file, Reason: ReasonEmptyFile, Detail: "no header row"})
		return nil
	}
	if err != nil {
		s.reject(Reject{File: file, Line: 1, Reason: ReasonCSVParse, Detail: err.Error()})
		return nil
	}
	seen := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if h == "" {
			h = "column_" + strconv.Itoa(i+1)
		}
		if seen[h] > 0 {
			h = h + "_" + strconv.Itoa(seen[h]+1)
		}
		seen[h]++
		header[i] = h
	}
	rows := 0
	for {
		if rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		rows++
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			s.reject(Reject{File: file, Line: int64(pe.StartLine), Reason: ReasonCSVParse, Detail: pe.Err.Error()})
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", file, err)
		}
		raw := strings.Join(rec, ",")
		if len(rec) != len(header) {
			s.reject(Reject{File: file, Line: int64(line), Reason: ReasonCSVColumns,
				Detail: fmt.Sprintf("%d columns, the header has %d", len(rec), len(header)), Excerpt: excerpt([]byte(raw))})
			continue
		}
		if len(raw) > opts.MaxRecordBytes {
			s.reject(Reject{File: file, Line: int64(line), Reason: ReasonTooLarge,
				Detail: fmt.Sprintf("row of %d bytes exceeds the limit of %d", len(raw), opts.MaxRecordBytes), Excerpt: excerpt([]byte(raw))})
			continue
		}
		var notes map[string]string
		fields := make([]field, len(rec))
		for i, v := range rec {
			if !utf8.ValidString(v) {
				v, notes = decodeLegacy(v), map[string]string{"encoding": "windows-1252"}
			}
			fields[i] = field{key: header[i], text: v, kind: kString}
		}
		a, reason := build(m, fields, notes)
		if reason != "" {
			s.reject(Reject{File: file, Line: int64(line), Reason: reason, Detail: "the row has no title and no content", Excerpt: excerpt([]byte(raw))})
			continue
		}
		a.File, a.Line = file, int64(line)
		s.article(a)
	}
	if rows == 0 {
		s.reject(Reject{File: file, Reason: ReasonEmptyFile, Detail: "a header row and no data rows"})
	}
	return nil
}

// decodeLegacy decodes text that is not UTF-8 as Windows-1252 (a superset of
// Latin-1's printable range), the usual encoding of such news text.
func decodeLegacy(s string) string {
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}

// readTextFile reads one article from a .txt file.
func readTextFile(path, file string, opts *Options, m mapping, s sink) {
	st, err := os.Stat(path)
	if err != nil {
		s.reject(Reject{File: file, Reason: ReasonUnreadable, Detail: err.Error()})
		return
	}
	if st.Size() > int64(opts.MaxRecordBytes) {
		s.reject(Reject{File: file, Line: 1, Reason: ReasonTooLarge, Detail: fmt.Sprintf("file of %d bytes exceeds the limit of %d", st.Size(), opts.MaxRecordBytes)})
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		s.reject(Reject{File: file, Reason: ReasonUnreadable, Detail: err.Error()})
		return
	}
	readText(data, path, file, opts, m, s)
}

// readText makes one article of a text file's bytes: the first non-empty line
// is the title, the rest the content, and the parent folder a tag.
func readText(data []byte, path, file string, opts *Options, m mapping, s sink) {
	if len(data) > opts.MaxRecordBytes {
		s.reject(Reject{File: file, Line: 1, Reason: ReasonTooLarge, Detail: fmt.Sprintf("file exceeds the limit of %d bytes", opts.MaxRecordBytes)})
		return
	}
	var notes map[string]string
	text := string(data)
	if !utf8.Valid(data) {
		text, notes = decodeLegacy(text), map[string]string{"encoding": "windows-1252"}
	}
	text = strings.TrimPrefix(strings.ReplaceAll(text, "\r\n", "\n"), "\ufeff")
	if strings.TrimSpace(text) == "" {
		s.reject(Reject{File: file, Reason: ReasonEmptyFile, Detail: "the text file is empty"})
		return
	}
	trimmed := strings.TrimLeft(text, " \t\n")
	title, body, _ := strings.Cut(trimmed, "\n")
	fields := []field{
		{key: "title", text: strings.TrimSpace(title), kind: kString},
		{key: "content", text: strings.TrimSpace(body), kind: kString},
	}
	if tag := filepath.Base(filepath.Dir(path)); tag != "." && tag != string(filepath.Separator) {
		fields = append(fields, field{key: "tags", kind: kArray, list: []string{tag}, json: mustJSON([]string{tag})})
	}
	a, reason := build(m, fields, notes)
	if reason != "" {
		s.reject(Reject{File: file, Line: 1, Reason: reason, Detail: "the file has no title and no content", Excerpt: excerpt(data)})
		return
	}
	a.File, a.Line = file, 1
	s.article(a)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// readParquet reads every row of a Parquet file; columns become fields by name.
func readParquet(ctx context.Context, path, file string, m mapping, s sink) error {
	pf, err := pqfile.OpenParquetFile(path, false)
	if err != nil {
		s.reject(Reject{File: file, Reason: ReasonUnreadable, Detail: "not a Parquet file: " + err.Error()})
		return nil
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 4096}, memory.DefaultAllocator)
	if err != nil {
		s.reject(Reject{File: file, Reason: ReasonUnreadable, Detail: err.Error()})
		return nil
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		s.reject(Reject{File: file, Reason: ReasonUnreadable, Detail: err.Error()})
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
			a, reason := build(m, fields, nil)
			if reason != "" {
				s.reject(Reject{File: file, Line: line, Reason: reason, Detail: "the row has no title and no content"})
				continue
			}
			a.File, a.Line = file, line
			s.article(a)
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		s.reject(Reject{File: file, Line: line + 1, Reason: ReasonUnreadable, Detail: err.Error()})
	}
	if line == 0 {
		s.reject(Reject{File: file, Reason: ReasonEmptyFile, Detail: "the Parquet file has no rows"})
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
