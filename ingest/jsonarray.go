package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/valyala/fastjson"
)

// readJSONArray streams a file holding one JSON array of objects. A byte
// scanner cuts out each element (strings, escapes and nesting tracked with a
// counter, no recursion), keeping at most in.max bytes of it, and each element
// is parsed on its own: a huge element is a too-large reject without being
// buffered, and a malformed or too-deep one is one reject while the next
// element is read as usual. Each record's line is the line its element starts on.
func readJSONArray(ctx context.Context, r io.Reader, in *src, s sink) error {
	sc := &jsonScanner{br: bufio.NewReaderSize(r, 64<<10), line: 1}
	c, err := sc.skipSpace()
	if errors.Is(err, io.EOF) {
		fileReject(s, Reject{File: in.file, Reason: ReasonEmptyFile, Detail: "the file is empty"})
		return nil
	}
	if err != nil {
		return err
	}
	if c != '[' {
		fileReject(s, Reject{File: in.file, Line: sc.line, Reason: ReasonMalformedJSON, Detail: fmt.Sprintf("a JSON array must start with '[', got %q", c)})
		return nil
	}
	sc.advance()
	var p fastjson.Parser
	n := 0
	for {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c, err := sc.skipSpace()
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if err != nil {
			fileReject(s, Reject{File: in.file, Line: sc.line, Reason: ReasonMalformedJSON, Detail: "the array is not closed with ']' at the end of the file"})
			break
		}
		if c == ']' {
			break
		}
		if n > 0 {
			if c != ',' {
				fileReject(s, Reject{File: in.file, Line: sc.line, Reason: ReasonMalformedJSON,
					Detail: fmt.Sprintf("expected ',' or ']' between elements, got %q (the rest of the array cannot be read)", c)})
				break
			}
			sc.advance()
			if c, err = sc.skipSpace(); err != nil || c == ']' {
				continue // an unclosed array or a trailing comma: reported on the next turn
			}
		}
		n++
		line := sc.line
		s.read(1)
		elem, size, err := sc.element(in.max)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
		// where names the element for its rejects: on one line, only its
		// place in the array tells it from its neighbours.
		where := fmt.Sprintf("element %d of the array", n)
		if line > 1 {
			where += fmt.Sprintf(" (from line %d)", line)
		}
		switch {
		case err != nil:
			s.reject(Reject{File: in.file, Line: line, Reason: ReasonMalformedJSON,
				Detail: where + ": not closed at the end of the file", Excerpt: excerpt(elem)})
			return nil
		case size > in.max:
			s.reject(Reject{File: in.file, Line: line, Reason: ReasonTooLarge,
				Detail: fmt.Sprintf("%s: %d bytes exceeds the limit of %d", where, size, in.max), Excerpt: excerpt(elem)})
		default:
			v, err := p.ParseBytes(elem)
			if err != nil {
				s.reject(Reject{File: in.file, Line: line, Reason: ReasonMalformedJSON, Detail: where + ": " + err.Error(), Excerpt: excerpt(elem)})
				continue
			}
			o := objectOutcome(v, elem, in, line)
			if o.reject != nil {
				o.reject.Detail = where + ": " + o.reject.Detail
			}
			emit(s, o)
		}
	}
	if n == 0 {
		fileReject(s, Reject{File: in.file, Reason: ReasonEmptyFile, Detail: "the JSON array is empty"})
	}
	return nil
}

// jsonScanner reads JSON text byte by byte, counting lines.
type jsonScanner struct {
	br   *bufio.Reader
	line int64
	peek int // the byte read ahead, -1 when none
	has  bool
}

func (sc *jsonScanner) next() (byte, error) {
	if sc.has {
		sc.has = false
		return byte(sc.peek), nil
	}
	c, err := sc.br.ReadByte()
	if err == nil && c == '\n' {
		sc.line++
	}
	return c, err
}

func (sc *jsonScanner) unread(c byte) { sc.peek, sc.has = int(c), true }

// skipSpace returns the next byte that is not white space, leaving it unread.
func (sc *jsonScanner) skipSpace() (byte, error) {
	for {
		c, err := sc.next()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			sc.unread(c)
			return c, nil
		}
	}
}

// advance drops the byte skipSpace left unread.
func (sc *jsonScanner) advance() { sc.has = false }

// element reads one JSON value: an object or array to its matching close, a
// string to its closing quote, anything else up to the next ',', ']' or
// space. It returns the value's first max bytes (all of it when it fits) and
// its full size.
func (sc *jsonScanner) element(max int) ([]byte, int, error) {
	var buf []byte
	size := 0
	add := func(c byte) {
		size++
		if size <= max {
			buf = append(buf, c)
		} else if size == max+1 {
			buf = buf[:min(len(buf), excerptRunes*4)] // keep what the excerpt needs
		}
	}
	first, err := sc.next()
	if err != nil {
		return nil, 0, err
	}
	add(first)
	switch first {
	case '{', '[':
		depth, inString, escaped := 1, false, false
		for depth > 0 {
			c, err := sc.next()
			if err != nil {
				return buf, size, unexpected(err)
			}
			add(c)
			switch {
			case inString && escaped:
				escaped = false
			case inString && c == '\\':
				escaped = true
			case inString && c == '"':
				inString = false
			case inString:
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
			}
		}
	case '"':
		escaped := false
		for {
			c, err := sc.next()
			if err != nil {
				return buf, size, unexpected(err)
			}
			add(c)
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				break
			}
		}
	default:
		for {
			c, err := sc.next()
			if errors.Is(err, io.EOF) {
				return buf, size, nil
			}
			if err != nil {
				return buf, size, err
			}
			if c == ',' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				sc.unread(c)
				return buf, size, nil
			}
			add(c)
		}
	}
	return buf, size, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
