package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/valyala/fastjson"
)

// lineBatch is consecutive lines of a JSONL file, copied into one buffer.
type lineBatch struct {
	buf   []byte
	ends  []int   // end offset of each line in buf
	lines []int64 // line number of each line
	big   []Reject
	// records counts the lines that are records (not blank), counted by the
	// splitter on its own so the sink's read count is a check on the parser.
	records int
	out     chan []outcome
}

type outcome struct {
	a      Article
	reject *Reject
}

// readJSONL streams a JSONL file: one goroutine reads lines, workers parse
// them, and results reach the sink in input order. Memory is bounded by
// (workers+2) batches, whatever the file size.
func readJSONL(ctx context.Context, r io.Reader, in *src, workers int, s sink) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	work := make(chan *lineBatch, workers)
	order := make(chan *lineBatch, workers+1)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p fastjson.Parser
			for b := range work {
				b.out <- parseBatch(&p, b, in)
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(work)
		readErr <- splitLines(ctx, r, in.file, in.max, func(b *lineBatch) {
			b.out = make(chan []outcome, 1)
			order <- b
			work <- b
		})
	}()
	records := 0
	for b := range order {
		outs := <-b.out
		s.read(b.records)
		for i := range outs {
			records++
			if outs[i].reject != nil {
				s.reject(*outs[i].reject)
			} else {
				s.article(outs[i].a)
			}
		}
	}
	wg.Wait()
	if err := <-readErr; err != nil {
		return err
	}
	if records == 0 {
		fileReject(s, Reject{File: in.file, Reason: ReasonEmptyFile, Detail: "no JSON records in the file"})
	}
	return nil
}

const batchBytes = 1 << 20

// splitLines reads r line by line and hands batches to emit. A line longer
// than max is skipped unbuffered and becomes a too-large reject.
func splitLines(ctx context.Context, r io.Reader, file string, max int, emit func(*lineBatch)) error {
	br := bufio.NewReaderSize(r, 1<<20)
	b := &lineBatch{}
	var line int64
	flush := func() {
		if len(b.ends) > 0 || len(b.big) > 0 {
			emit(b)
			b = &lineBatch{}
		}
	}
	for {
		line++
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A long line: gather it up to max, then skip the rest.
			start := len(b.buf)
			b.buf = append(b.buf, chunk...)
			size := len(chunk)
			for errors.Is(err, bufio.ErrBufferFull) {
				chunk, err = br.ReadSlice('\n')
				size += len(chunk)
				if size <= max {
					b.buf = append(b.buf, chunk...)
				}
			}
			if size > max {
				ex := excerpt(b.buf[start:])
				b.buf = b.buf[:start]
				b.big = append(b.big, Reject{File: file, Line: line, Reason: ReasonTooLarge,
					Detail: fmt.Sprintf("line of %d bytes exceeds the limit of %d", size, max), Excerpt: ex})
				b.ends = append(b.ends, -1)
				b.lines = append(b.lines, line)
				b.records++
			} else {
				b.ends = append(b.ends, len(b.buf))
				b.lines = append(b.lines, line)
				if len(bytes.TrimSpace(b.buf[start:])) > 0 {
					b.records++
				}
			}
		} else if len(chunk) > 0 {
			if len(chunk) > max {
				b.big = append(b.big, Reject{File: file, Line: line, Reason: ReasonTooLarge,
					Detail: fmt.Sprintf("line of %d bytes exceeds the limit of %d", len(chunk), max), Excerpt: excerpt(chunk)})
				b.ends = append(b.ends, -1)
				b.records++
			} else {
				b.buf = append(b.buf, chunk...)
				b.ends = append(b.ends, len(b.buf))
				if len(bytes.TrimSpace(chunk)) > 0 {
					b.records++
				}
			}
			b.lines = append(b.lines, line)
		}
		if err == io.EOF {
			flush()
			return nil
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			flush()
			return fmt.Errorf("read %s line %d: %w", file, line, err)
		}
		if len(b.buf) >= batchBytes || len(b.ends) >= 4096 {
			if err := ctx.Err(); err != nil {
				return err
			}
			flush()
		}
	}
}

func parseBatch(p *fastjson.Parser, b *lineBatch, in *src) []outcome {
	outs := make([]outcome, 0, len(b.ends))
	start, big := 0, 0
	for i, end := range b.ends {
		if end < 0 {
			rj := b.big[big]
			big++
			outs = append(outs, outcome{reject: &rj})
			continue
		}
		raw := b.buf[start:end]
		start = end
		if o, ok := parseLine(p, raw, in, b.lines[i]); ok {
			outs = append(outs, o)
		}
	}
	return outs
}

// parseLine parses one JSON line; ok is false for a blank line (not a record).
func parseLine(p *fastjson.Parser, raw []byte, in *src, line int64) (outcome, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return outcome{}, false
	}
	v, err := p.ParseBytes(raw)
	if err != nil {
		return rejectOutcome(in.file, line, ReasonMalformedJSON, err.Error(), raw), true
	}
	return objectOutcome(v, raw, in, line), true
}

func objectOutcome(v *fastjson.Value, raw []byte, in *src, line int64) outcome {
	obj, err := v.Object()
	if err != nil {
		return rejectOutcome(in.file, line, ReasonNotObject, "a record must be a JSON object, got "+v.Type().String(), raw)
	}
	fields := make([]field, 0, obj.Len())
	obj.Visit(func(k []byte, v *fastjson.Value) {
		fields = append(fields, jsonField(string(k), v))
	})
	a, reason := build(in.m, fields, in.notes)
	if reason != "" {
		return rejectOutcome(in.file, line, reason, "the record has no title and no content field", raw)
	}
	a.File, a.Line = in.file, line
	return outcome{a: a}
}

func jsonField(k string, v *fastjson.Value) field {
	switch v.Type() {
	case fastjson.TypeString:
		return field{key: k, text: string(v.GetStringBytes()), kind: kString}
	case fastjson.TypeNumber:
		t := v.String()
		return field{key: k, text: t, json: []byte(t), kind: kNumber}
	case fastjson.TypeTrue, fastjson.TypeFalse:
		t := v.String()
		return field{key: k, text: t, json: []byte(t), kind: kBool}
	case fastjson.TypeNull:
		return field{key: k, json: []byte("null"), kind: kNull}
	case fastjson.TypeArray:
		f := field{key: k, json: v.MarshalTo(nil), kind: kArray}
		f.text = string(f.json)
		for _, el := range v.GetArray() {
			if el.Type() == fastjson.TypeString {
				f.list = append(f.list, string(el.GetStringBytes()))
			} else {
				f.list = append(f.list, el.String())
			}
		}
		return f
	default:
		f := field{key: k, json: v.MarshalTo(nil), kind: kObject}
		f.text = string(f.json)
		return f
	}
}

func rejectOutcome(file string, line int64, reason, detail string, raw []byte) outcome {
	return outcome{reject: &Reject{File: file, Line: line, Reason: reason, Detail: detail, Excerpt: excerpt(raw)}}
}
