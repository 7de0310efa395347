package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/distillery/distillery/internal/human"
)

// readCSV reads a CSV file with a header row, one record at a time, with a
// parser of its own rather than encoding/csv, which panics on some broken
// quoting, buffers a huge field whole, and lets one unclosed quote swallow the
// rest of the file. Quotes are read lazily (a bare quote inside a field is
// text); a quoted field may span lines. A record whose quote is never closed
// is rejected and reading resumes on the line after the one it started on,
// so the rows after it are not lost (those lines are read as one-line rows:
// a quote still open at their end closes there, which keeps a file of
// unclosed quotes linear to read); a record over in.max bytes is rejected
// without being kept. A first row that names none of the known fields is not
// taken for a header: the file is rejected with how to map its columns,
// unless --map names columns by position (column_1, column_2, …).
func readCSV(ctx context.Context, r io.Reader, in *src, s sink) error {
	return readCSVWith(ctx, r, in, s, &csvReader{})
}

// readCSVWith is readCSV with the reader given, so a test can see its work.
func readCSVWith(ctx context.Context, r io.Reader, in *src, s sink, cr *csvReader) error {
	cr.br, cr.max = bufio.NewReaderSize(r, 64<<10), in.max
	first, err := cr.record()
	if errors.Is(err, io.EOF) {
		fileReject(s, Reject{File: in.file, Reason: ReasonEmptyFile, Detail: "no header row"})
		return nil
	}
	if err != nil {
		return err
	}
	if first.bad != "" {
		fileReject(s, Reject{File: in.file, Line: first.line, Reason: first.reason, Detail: "the header row: " + first.bad, Excerpt: excerpt(first.raw)})
		return nil
	}
	header := first.fields
	dataFirst := false
	if !namesKnownField(in.m, header) {
		if !byPosition(in.m) {
			fileReject(s, Reject{File: in.file, Line: 1, Reason: ReasonCSVNoHeader, Excerpt: excerpt(first.raw),
				Detail: fmt.Sprintf("the first row (%s) names none of the fields ingest knows (%s): add a header row, "+
					"map a column by its header name (--map content=body_text), or, for a file without a header, by position (--map title=column_1,content=column_2)",
					excerpt([]byte(strings.Join(header, ","))), strings.Join(knownNames(), ", "))})
			return nil
		}
		header = make([]string, len(first.fields))
		for i := range header {
			header[i] = "column_" + strconv.Itoa(i+1)
		}
		dataFirst = true
	}
	header = uniqueNames(header)
	rows := 0
	for {
		var rec csvRecord
		if dataFirst {
			rec, dataFirst = first, false
		} else if rec, err = cr.record(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
		if rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rows++
		s.read(1)
		switch {
		case rec.bad != "":
			s.reject(Reject{File: in.file, Line: rec.line, Reason: rec.reason, Detail: rec.bad, Excerpt: excerpt(rec.raw)})
			continue
		case len(rec.fields) != len(header):
			s.reject(Reject{File: in.file, Line: rec.line, Reason: ReasonCSVColumns,
				Detail: fmt.Sprintf("%s, the header has %d", human.Plural(int64(len(rec.fields)), "column"), len(header)), Excerpt: excerpt(rec.raw)})
			continue
		}
		fields := make([]field, len(rec.fields))
		for i, v := range rec.fields {
			fields[i] = field{key: header[i], text: v, kind: kString}
		}
		a, reason := build(in.m, fields, in.notes)
		if reason != "" {
			s.reject(Reject{File: in.file, Line: rec.line, Reason: reason, Detail: "the row has no title and no content", Excerpt: excerpt(rec.raw)})
			continue
		}
		a.File, a.Line = in.file, rec.line
		s.article(a)
	}
	if rows == 0 {
		fileReject(s, Reject{File: in.file, Reason: ReasonEmptyFile, Detail: "a header row and no data rows"})
	}
	return nil
}

// namesKnownField says whether any header cell is a field name the mapping knows.
func namesKnownField(m mapping, header []string) bool {
	for _, h := range header {
		if _, ok := m.lookup(strings.TrimSpace(h)); ok {
			return true
		}
	}
	return false
}

var positional = regexp.MustCompile(`^column_[0-9]+$`)

// byPosition says whether --map names a column by position (column_N).
func byPosition(m mapping) bool {
	for k, t := range m.byInput {
		if t.priority == 0 && positional.MatchString(k) {
			return true
		}
	}
	return false
}

func knownNames() []string {
	var out []string
	for _, f := range CanonicalFields() {
		out = append(out, aliases[f]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// uniqueNames trims header cells, names empty ones column_N and numbers repeats.
func uniqueNames(header []string) []string {
	out := make([]string, len(header))
	seen := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "" {
			h = "column_" + strconv.Itoa(i+1)
		}
		if seen[h] > 0 {
			h = h + "_" + strconv.Itoa(seen[h]+1)
		}
		seen[h]++
		out[i] = h
	}
	return out
}

// csvRecord is one record; bad (with reason) says why it cannot be used.
type csvRecord struct {
	fields []string
	line   int64  // the physical line it starts on
	raw    []byte // its first bytes, for the excerpt
	bad    string
	reason string
}

// csvLine is one physical line (without its end) as read.
type csvLine struct {
	text []byte
	num  int64
	size int  // bytes on disk, end of line included
	long bool // longer than max: text holds only its start
	// reread marks a line read again after a never-closed quote: a quote
	// open at its end closes there, so no record spans such lines and a file
	// of unclosed quotes is not rescanned once per line.
	reread bool
}

// csvReader reads CSV records from physical lines; lines pushed back after
// a never-closed quote are read again before the stream.
type csvReader struct {
	br      *bufio.Reader
	max     int
	line    int64
	pending []csvLine
	// scratch, when not nil, is reused for each line instead of a new buffer
	// (while skipping a record, when no line is kept).
	scratch []byte
	reuse   bool
	// lineReads counts the lines handed out, pushed-back ones included.
	lineReads int
}

// physical returns the next line; a line over max is skipped to its end,
// never buffered whole.
func (cr *csvReader) physical() (csvLine, error) {
	cr.lineReads++
	if len(cr.pending) > 0 {
		l := cr.pending[0]
		cr.pending = cr.pending[1:]
		return l, nil
	}
	var buf []byte
	if cr.reuse {
		buf = cr.scratch[:0]
		defer func() { cr.scratch = buf[:0] }()
	}
	size := 0
	for {
		chunk, err := cr.br.ReadSlice('\n')
		size += len(chunk)
		if size <= cr.max {
			buf = append(buf, chunk...)
		} else if len(buf) < excerptRunes*4 {
			buf = append(buf, chunk[:min(len(chunk), excerptRunes*4-len(buf))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return csvLine{}, err
		}
		if size == 0 {
			return csvLine{}, io.EOF
		}
		cr.line++
		long := size > cr.max
		if !long {
			buf = bytes.TrimSuffix(buf, []byte{'\n'})
			buf = bytes.TrimSuffix(buf, []byte{'\r'})
		}
		return csvLine{text: buf, num: cr.line, size: size, long: long}, nil
	}
}

// record reads the next record. Blank lines between records are skipped.
func (cr *csvReader) record() (csvRecord, error) {
	var l csvLine
	var err error
	for {
		if l, err = cr.physical(); err != nil {
			return csvRecord{}, err
		}
		if l.long || len(l.text) > 0 {
			break
		}
	}
	rec := csvRecord{line: l.num, raw: l.text}
	if l.long {
		return cr.skipLong(rec, l)
	}
	var fields []string
	var field []byte
	lines := []csvLine{l}
	size := l.size
	text, i := l.text, 0
	quoted, atStart := false, true
	for {
		if i >= len(text) {
			if !quoted || l.reread {
				fields = append(fields, string(field))
				rec.fields = fields
				return rec, nil
			}
			// A quoted field goes on on the next line.
			next, err := cr.physical()
			if errors.Is(err, io.EOF) {
				// The quote never closes: this record is lost, the lines after
				// its first one are read again as records.
				for i := range lines[1:] {
					lines[1+i].reread = true
				}
				cr.pending = append(lines[1:], cr.pending...)
				rec.bad, rec.reason = fmt.Sprintf("a quote opened on line %d is never closed (the row is skipped, the lines after it are read as rows)", rec.line), ReasonCSVParse
				return rec, nil
			}
			if err != nil {
				return rec, err
			}
			size += next.size
			if next.long || size > cr.max {
				return cr.skipQuoted(rec, next, size)
			}
			lines = append(lines, next)
			field = append(field, '\n')
			text, i = next.text, 0
			continue
		}
		c := text[i]
		i++
		switch {
		case quoted && c == '"' && i < len(text) && text[i] == '"':
			field = append(field, '"')
			i++
		case quoted && c == '"' && (i == len(text) || text[i] == ','):
			quoted = false
		case quoted:
			field = append(field, c) // a bare quote inside a quoted field is text
		case c == '"' && atStart:
			quoted = true
		case c == ',':
			fields = append(fields, string(field))
			field = field[:0]
			atStart = true
			continue
		default:
			field = append(field, c)
		}
		atStart = false
	}
}

// skipLong rejects a record whose first line is over the limit; a quote it
// opens and does not close is not followed (the next line starts a record).
func (cr *csvReader) skipLong(rec csvRecord, l csvLine) (csvRecord, error) {
	rec.bad, rec.reason = fmt.Sprintf("line of %d bytes exceeds the limit of %d", l.size, cr.max), ReasonTooLarge
	return rec, nil
}

// skipQuoted rejects a multi-line record that grew over the limit: its lines
// are read on, unkept, to the line where its quote closes.
func (cr *csvReader) skipQuoted(rec csvRecord, l csvLine, size int) (csvRecord, error) {
	rec.reason = ReasonTooLarge
	cr.reuse = true
	defer func() { cr.reuse = false }()
	for {
		if closesQuote(l) {
			rec.bad = fmt.Sprintf("row of at least %d bytes (lines %d-%d) exceeds the limit of %d", size, rec.line, l.num, cr.max)
			return rec, nil
		}
		next, err := cr.physical()
		if errors.Is(err, io.EOF) {
			rec.bad = fmt.Sprintf("a quote opened on line %d is never closed and the rest of the file (lines %d-%d, over the limit of %d bytes) cannot be read", rec.line, rec.line, l.num, cr.max)
			rec.reason = ReasonCSVParse
			return rec, nil
		}
		if err != nil {
			return rec, err
		}
		size += next.size
		l = next
	}
}

// closesQuote says whether a line inside a quoted field ends it: a quote
// not doubled, at the end of the line or before a comma. A long line's end
// is not known; it is taken as not closing.
func closesQuote(l csvLine) bool {
	if l.long {
		return false
	}
	t := l.text
	for i := 0; i < len(t); i++ {
		if t[i] != '"' {
			continue
		}
		if i+1 < len(t) && t[i+1] == '"' {
			i++
			continue
		}
		if i+1 == len(t) || t[i+1] == ',' {
			return true
		}
	}
	return false
}
