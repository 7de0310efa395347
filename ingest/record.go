package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Article is one row of corpus.raw.
type Article struct {
	ID            string
	Dataset       string
	Source        string
	Title         string
	Content       string
	Description   string
	PublishedDate string
	URL           string
	Tags          []string
	Extra         string // JSON object of input fields with no column, "" when none
	ContentSHA256 string
	File          string
	Line          int64
}

// Reject is one row of corpus.rejects: a record that could not be used.
type Reject struct {
	File    string
	Line    int64 // 0: the whole file
	Reason  string
	Detail  string
	Excerpt string
}

// Reject reasons: stable codes to GROUP BY; the detail says more.
const (
	ReasonMalformedJSON = "malformed_json"
	ReasonNotObject     = "not_an_object"
	ReasonMissingText   = "missing_title_and_content"
	ReasonInvalidUTF8   = "invalid_utf8"
	ReasonEmptyFile     = "empty_file"
	ReasonTooLarge      = "record_too_large"
	ReasonCSVColumns    = "csv_column_count"
	ReasonCSVParse      = "csv_parse_error"
	ReasonUnreadable    = "unreadable"
	ReasonUnsupported   = "unsupported_format"
	ReasonParquetType   = "parquet_unsupported_type"
	ReasonCSVNoHeader   = "csv_no_header"
	ReasonInsideLake    = "inside_lake"
	excerptRunes        = 200
)

// kind of a field value.
const (
	kString = iota
	kNumber
	kBool
	kNull
	kArray
	kObject
)

// field is one input field: its key, text (strings unescaped, other values
// as JSON text), and JSON form for the extra column.
type field struct {
	key  string
	text string
	json []byte // nil: marshal text as a JSON string
	kind int
	list []string // string elements, for array values
}

func (f field) jsonValue() []byte {
	if f.json != nil {
		return f.json
	}
	return jsonString(f.text)
}

// jsonString encodes s as a JSON string without HTML escaping (<, >, & stay readable).
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'})
}

// build maps one record's fields to an Article; a non-empty reason means reject.
// For each canonical field the best-ranked alias present wins; every other
// field, including a losing alias, is kept in extra.
//
// Every string is made valid UTF-8 here, once for all readers: a field that
// is not UTF-8 is decoded as Windows-1252 and the row notes
// "_encoding": "windows-1252" (notes holds the file's own notes, e.g. UTF-16).
func build(m mapping, fields []field, notes map[string]string) (Article, string) {
	var a Article
	if fixUTF8(fields) {
		notes = withNote(notes, "encoding", encWindows1252)
	}
	winner := map[string]int{} // canonical field -> index into fields
	for i, f := range fields {
		t, ok := m.lookup(f.key)
		if !ok || f.kind == kNull {
			continue
		}
		if j, seen := winner[t.field]; !seen || t.priority < mustLookup(m, fields[j].key).priority {
			winner[t.field] = i
		}
	}
	used := make([]bool, len(fields))
	for name, i := range winner {
		used[i] = true
		set(&a, name, fields[i])
	}
	var extra []field
	for i, f := range fields {
		if !used[i] {
			extra = append(extra, f)
		}
	}
	if a.Content == "" && a.Description != "" {
		a.Content = a.Description // AG News and feeds with no body: the lead is the text
	}
	if strings.TrimSpace(a.Title) == "" && strings.TrimSpace(a.Content) == "" {
		return a, ReasonMissingText
	}
	a.Extra = extraJSON(extra, notes)
	a.ID = articleID(a)
	sum := sha256.Sum256([]byte(a.Content))
	a.ContentSHA256 = hex.EncodeToString(sum[:])
	return a, ""
}

// fixUTF8 decodes every key, text, list element and JSON text of fields
// that is not UTF-8; it says whether any was.
func fixUTF8(fields []field) bool {
	fixed := false
	for i := range fields {
		f := &fields[i]
		var b bool
		if f.key, b = validText(f.key); b {
			fixed = true
		}
		if f.text, b = validText(f.text); b {
			fixed = true
		}
		for j := range f.list {
			if f.list[j], b = validText(f.list[j]); b {
				fixed = true
			}
		}
		if f.json != nil && !utf8.Valid(f.json) {
			// ASCII is unchanged by the decoding, so the JSON stays JSON.
			f.json, fixed = []byte(decodeLegacy(string(f.json))), true
		}
	}
	return fixed
}

// withNote returns notes plus k=v, leaving notes itself unchanged (it may be shared by a file's rows).
func withNote(notes map[string]string, k, v string) map[string]string {
	if notes[k] != "" && notes[k] != v {
		v = notes[k] + "," + v
	}
	out := make(map[string]string, len(notes)+1)
	maps.Copy(out, notes)
	out[k] = v
	return out
}

func mustLookup(m mapping, key string) target {
	t, _ := m.lookup(key)
	return t
}

func set(a *Article, name string, f field) {
	v := strings.TrimSpace(f.text)
	switch name {
	case "id":
		a.ID = v
	case "title":
		a.Title = v
	case "content":
		a.Content = f.text
	case "description":
		a.Description = v
	case "published_date":
		a.PublishedDate = v
	case "url":
		a.URL = v
	case "source":
		a.Source = v
	case "tags":
		if f.kind == kArray {
			a.Tags = append(a.Tags, f.list...)
		} else if v != "" {
			a.Tags = append(a.Tags, v)
		}
	}
}

// articleID is the input's own id when it has one, else a hash of the URL,
// else a hash of title and content: the same article always gets the same id.
func articleID(a Article) string {
	if a.ID != "" {
		return a.ID
	}
	if a.URL != "" {
		return "u-" + shortHash(a.URL)
	}
	return "h-" + shortHash(a.Title+"\n"+a.Content)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:10])
}

func extraJSON(extra []field, notes map[string]string) string {
	n := 0
	for _, f := range extra {
		if f.key != "" {
			n++
		}
	}
	if n == 0 && len(notes) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	first := true
	comma := func() {
		if !first {
			b.WriteByte(',')
		}
		first = false
	}
	for _, f := range extra {
		if f.key == "" {
			continue
		}
		comma()
		b.Write(jsonString(f.key))
		b.WriteByte(':')
		b.Write(f.jsonValue())
	}
	for _, k := range slices.Sorted(maps.Keys(notes)) {
		comma()
		b.Write(jsonString("_" + k))
		b.WriteByte(':')
		b.Write(jsonString(notes[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// excerpt is the first runes of b as valid UTF-8 (invalid bytes replaced).
func excerpt(b []byte) string {
	if len(b) > excerptRunes*4 {
		b = b[:excerptRunes*4]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if utf8.RuneCountInString(s) > excerptRunes {
		r := []rune(s)
		s = string(r[:excerptRunes]) + "…"
	}
	return s
}
