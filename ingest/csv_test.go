package ingest

import (
	"context"
	"strings"
	"testing"
)

// countSink counts what a reader hands on.
type countSink struct{ reads, rows, rejects int }

func (c *countSink) read(n int)      { c.reads += n }
func (c *countSink) article(Article) { c.rows++ }
func (c *countSink) reject(Reject)   { c.rejects++ }

// Lines that each open a quote and never close it are each re-read once,
// not once per earlier line: the lines after a never-closed quote are read
// as one-line rows, so the work stays linear in the file.
func TestReadCSV_UnclosedQuotesLinear(t *testing.T) {
	const n = 2000
	var b strings.Builder
	b.WriteString("title,content\n")
	for range n {
		b.WriteString("title,\"open body\n")
	}
	cr := &csvReader{}
	s := &countSink{}
	in := &src{file: "q.csv", m: newMapping(nil), max: 1 << 20}
	if err := readCSVWith(context.Background(), strings.NewReader(b.String()), in, s, cr); err != nil {
		t.Fatal(err)
	}
	if s.reads != s.rows+s.rejects {
		t.Errorf("read %d, rows %d + rejects %d", s.reads, s.rows, s.rejects)
	}
	if s.rejects != 1 || s.rows != n-1 {
		t.Errorf("rows %d, rejects %d: want the first open quote rejected and the %d lines after it read as rows", s.rows, s.rejects, n-1)
	}
	if max := 3 * (n + 1); cr.lineReads > max {
		t.Errorf("%d line reads for %d lines (want at most %d): each unclosed quote rescans the rest of the file", cr.lineReads, n+1, max)
	}
}
