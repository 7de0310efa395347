package ingest

import (
	"bufio"
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings named in the _encoding note of a row.
const (
	encWindows1252 = "windows-1252"
	encUTF16LE     = "utf-16le"
	encUTF16BE     = "utf-16be"
)

// decodeBOM makes a text stream UTF-8 by its byte order mark: a UTF-8 BOM is
// dropped, UTF-16 (LE or BE) with a BOM is decoded. enc names the UTF-16
// encoding found ("" otherwise), so every row of the file can say so.
func decodeBOM(r io.Reader) (io.Reader, string) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		return br, ""
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), encUTF16LE
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), encUTF16BE
	}
	return br, ""
}

// decodeLegacy decodes text that is not UTF-8 as Windows-1252 (a superset of
// Latin-1's printable range), the usual encoding of such news text. The
// result is always valid UTF-8.
func decodeLegacy(s string) string {
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil || !utf8.ValidString(out) {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}

// validText returns s when it is UTF-8, else its Windows-1252 decoding and
// true: every reader stores text through it, so no table holds invalid bytes.
func validText(s string) (string, bool) {
	if utf8.ValidString(s) {
		return s, false
	}
	return decodeLegacy(s), true
}

// displayPath is a path as stored in the file column: absolute, cleaned,
// symlinks resolved (one identity for one file however it was spelled), and
// valid UTF-8 (a file name in a legacy encoding is decoded, not stored raw).
func displayPath(p string) string {
	return validPath(canonicalPath(p))
}

func canonicalPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = filepath.Clean(p)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	return abs
}

func validPath(p string) string {
	s, _ := validText(p)
	return s
}

// cleanReject makes every string of a reject valid UTF-8: details quote
// parser errors, which may quote the bad bytes.
func cleanReject(r Reject) Reject {
	r.File = validPath(r.File)
	r.Reason = strings.ToValidUTF8(r.Reason, "\uFFFD")
	r.Detail = strings.ToValidUTF8(r.Detail, "\uFFFD")
	r.Excerpt = strings.ToValidUTF8(r.Excerpt, "\uFFFD")
	return r
}
