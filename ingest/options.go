package ingest

import (
	"fmt"
	"slices"
	"strings"
)

// Options configure an ingest run. Zero values take the defaults of DefaultOptions.
type Options struct {
	// Paths are files or folders to read: arguments, not settings (a
	// pipeline names its inputs in sources[].path).
	Paths []string `yaml:"-"`
	// Source names the dataset every row comes from (column dataset);
	// default: each input's base name without extensions.
	Source string `yaml:"source"`
	// Map overrides the field aliases: canonical field -> input field.
	Map map[string]string `yaml:"map"`
	// Strict fails the run, committing nothing, when any record is rejected.
	Strict bool `yaml:"strict"`
	// MaxRecordBytes is the largest record (JSON line, CSV row, text file) accepted.
	MaxRecordBytes int `yaml:"max_record_bytes"`
	// Workers parse JSON lines in parallel; default: GOMAXPROCS.
	Workers int `yaml:"workers"`
	// Progress, when set, is called with bytes read so far and total bytes.
	Progress func(done, total int64) `yaml:"-"`
	// Waiting, when set, is called once if another ingest holds the lake's ingest lock.
	Waiting func() `yaml:"-"`
}

// DefaultMaxRecordBytes bounds one record: larger ones are rejected, never buffered whole.
const DefaultMaxRecordBytes = 16 << 20

// Canonical fields of corpus.raw and the input names that map to each, in
// priority order (the first present wins). Matching ignores case.
var aliases = map[string][]string{
	"id":             {"id"},
	"title":          {"title", "headline"},
	"content":        {"content", "text", "body", "article"},
	"description":    {"description", "summary"},
	"published_date": {"published_date", "date", "year"},
	"url":            {"url", "link"},
	"source":         {"source"},
	"tags":           {"tags"},
}

// CanonicalFields lists the fields --map can set.
func CanonicalFields() []string {
	out := make([]string, 0, len(aliases))
	for k := range aliases {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ParseMap parses "content=text,title=headline" into a map.
func ParseMap(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%w: %q is not field=input_field", ErrBadMap, kv)
		}
		out[k] = v
	}
	return out, nil
}

// Validate checks the options and fills defaults.
func (o *Options) Validate() error {
	if len(o.Paths) == 0 {
		return ErrNoPaths
	}
	for k := range o.Map {
		if _, ok := aliases[k]; !ok {
			return fmt.Errorf("%w: unknown field %q (fields: %s)", ErrBadMap, k, strings.Join(CanonicalFields(), ", "))
		}
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	return nil
}

// mapping resolves input field names to canonical fields for one input.
type mapping struct {
	// byInput maps a lower-cased input key to its canonical field and priority (lower wins).
	byInput map[string]target
}

type target struct {
	field    string
	priority int
}

func newMapping(overrides map[string]string) mapping {
	m := mapping{byInput: map[string]target{}}
	for field, names := range aliases {
		if _, ok := overrides[field]; ok {
			continue
		}
		for i, n := range names {
			m.byInput[n] = target{field, i + 1}
		}
	}
	for field, name := range overrides {
		// An override wins over every alias, and the aliased input field it
		// displaces is kept in extra rather than lost.
		m.byInput[strings.ToLower(name)] = target{field, 0}
	}
	return m
}

func (m mapping) lookup(key string) (target, bool) {
	t, ok := m.byInput[key]
	if !ok {
		t, ok = m.byInput[strings.ToLower(key)]
	}
	return t, ok
}
