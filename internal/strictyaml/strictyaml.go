// Package strictyaml decodes a YAML configuration file into a Go struct and
// reports what is wrong with it in the file's own terms: the line, the
// dotted key (split.ratios, dimensions[2].weight) and, for a typo, the key
// that was probably meant. yaml.v3's strict mode stops at the first unknown
// key and names Go types ("field soruces not found in type
// pipeline.Config"); a person editing the file knows neither. The entry
// point is Decode.
package strictyaml

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/distillery/distillery/internal/suggest"
)

// Problem is one thing wrong in a file: where (line, key) and what.
type Problem struct {
	Line int    // 1-based; 0 when unknown
	Key  string // dotted path, e.g. split.ratios or dimensions[1].weight; "" for the whole file
	Msg  string
}

// Format is "file:line: key: msg", leaving out what is unknown.
func (p Problem) Format(file string) string {
	var parts []string
	switch {
	case file != "" && p.Line > 0:
		parts = append(parts, file+":"+strconv.Itoa(p.Line))
	case file != "":
		parts = append(parts, file)
	case p.Line > 0:
		parts = append(parts, "line "+strconv.Itoa(p.Line))
	}
	if p.Key != "" {
		parts = append(parts, p.Key)
	}
	return strings.Join(append(parts, p.Msg), ": ")
}

// Lines maps the dotted key paths of a document to the lines they sit on.
type Lines map[string]int

// Of is the line of key, or of the nearest key that encloses it
// (dimensions[].weight falls back to dimensions), or 0.
func (l Lines) Of(key string) int {
	for key != "" {
		if n, ok := l[key]; ok {
			return n
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
	return 0
}

// Decode decodes data into v (a pointer to a struct) after checking every
// key against v's yaml tags and every value against its field's type. It
// returns the line of every key and every problem found, all in one pass:
// unknown keys with a did-you-mean, and values of the wrong kind naming
// the key. A document that does not parse gives one problem with the line
// the parser names. Values with problems are left at their zero values.
func Decode(data []byte, v any) (Lines, []Problem) {
	lines := Lines{}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return lines, []Problem{syntaxProblem(err)}
	}
	w := &walker{lines: lines, seen: map[seenKey]bool{}}
	if len(root.Content) > 0 {
		w.walk(root.Content[0], reflect.TypeOf(v).Elem(), "", 0)
	}
	w.clear()
	if err := root.Decode(v); err != nil && len(w.problems) == 0 {
		// The walk mirrors yaml.v3's rules; should they ever part, the
		// decoder's word still reaches the user, with its line.
		w.problems = append(w.problems, syntaxProblem(err))
	}
	sort.SliceStable(w.problems, func(i, j int) bool { return w.problems[i].Line < w.problems[j].Line })
	return lines, w.problems
}

var lineRe = regexp.MustCompile(`^(?:yaml: )?(?:unmarshal errors:\n\s*)?line (\d+): (.*)$`)

// syntaxProblem turns "yaml: line 3: mapping values are not allowed in
// this context" into a Problem at line 3.
func syntaxProblem(err error) Problem {
	msg := err.Error()
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Problem{Line: n, Msg: m[2]}
	}
	return Problem{Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// maxDepth bounds the walk: no configuration nests this deep, and a
// hostile file must not exhaust the stack.
const maxDepth = 64

type seenKey struct {
	n *yaml.Node
	t reflect.Type
}

type walker struct {
	lines    Lines
	problems []Problem
	// seen holds the anchored nodes already walked, so that aliases
	// (*a, repeated) cost one walk each, not one per use.
	seen map[seenKey]bool
	// wrong are the values reported, cleared before the decode so the
	// rest of the file still decodes; repeats are the second keys of a
	// section that sets one twice, dropped for the same reason.
	wrong   []*yaml.Node
	repeats []repeat
}

type repeat struct {
	section *yaml.Node
	at      int
}

// clear nulls the values reported and drops repeated keys, last first so
// the indexes stay right: yaml.v3 would otherwise fail the whole decode.
func (w *walker) clear() {
	for _, n := range w.wrong {
		*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
	}
	for i := len(w.repeats) - 1; i >= 0; i-- {
		r := w.repeats[i]
		r.section.Content = append(r.section.Content[:r.at], r.section.Content[r.at+2:]...)
	}
}

func (w *walker) bad(n *yaml.Node, key, format string, a ...any) {
	w.problems = append(w.problems, Problem{Line: n.Line, Key: key, Msg: fmt.Sprintf(format, a...)})
}

var (
	durationType  = reflect.TypeOf(time.Duration(0))
	unmarshalType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

func (w *walker) walk(n *yaml.Node, t reflect.Type, key string, depth int) {
	if depth > maxDepth {
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || w.seen[seenKey{n.Alias, t}] {
			return
		}
		w.seen[seenKey{n.Alias, t}] = true
		w.walk(n.Alias, t, key, depth+1)
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if reflect.PointerTo(t).Implements(unmarshalType) || t.Kind() == reflect.Interface {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeOf(time.Time{}) {
			w.leaf(n, t, key)
			return
		}
		if n.Kind != yaml.MappingNode {
			w.wrongValue(n, key, "%s is not a section of keys (key: value lines)", describe(n))
			return
		}
		w.mapping(n, fieldsOf(t), key, depth)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.wrongValue(n, key, "%s is not a mapping (key: value lines)", describe(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			sub := join(key, k.Value)
			w.lines[sub] = k.Line
			if !w.fits(k, t.Key()) {
				w.bad(k, sub, "%s is not %s", describe(k), want(t.Key()))
				w.repeats = append(w.repeats, repeat{n, i})
				continue
			}
			w.walk(val, t.Elem(), sub, depth+1)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			w.wrongValue(n, key, "%s is not a list (write [a, b] or one \"- item\" a line)", describe(n))
			return
		}
		for i, item := range n.Content {
			sub := fmt.Sprintf("%s[%d]", key, i)
			w.lines[sub] = item.Line
			w.walk(item, t.Elem(), sub, depth+1)
		}
	default:
		w.leaf(n, t, key)
	}
}

// mapping checks a section's keys against the fields of its struct.
func (w *walker) mapping(n *yaml.Node, fields map[string]reflect.Type, key string, depth int) {
	here := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Value == "<<" && k.Tag == "!!merge" {
			w.merge(val, fields, key, depth)
			continue
		}
		if k.Tag == "!!null" {
			continue // yaml.v3 sets no field for an empty key
		}
		sub := join(key, k.Value)
		ft, ok := fields[k.Value]
		if !ok {
			w.bad(k, sub, "unknown key%s", suggest.Phrase(k.Value, keysOf(fields)))
			continue
		}
		if first, dup := here[k.Value]; dup {
			w.bad(k, sub, "set twice (first on line %d): keep one", first)
			w.repeats = append(w.repeats, repeat{n, i})
			continue
		}
		here[k.Value] = k.Line
		w.lines[sub] = k.Line
		w.walk(val, ft, sub, depth+1)
	}
}

// merge walks the mappings of a merge key (<<: *defaults) as part of the
// section they are merged into.
func (w *walker) merge(n *yaml.Node, fields map[string]reflect.Type, key string, depth int) {
	if depth > maxDepth {
		return
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias != nil {
			w.merge(n.Alias, fields, key, depth+1)
		}
	case yaml.MappingNode:
		w.mapping(n, fields, key, depth+1)
	case yaml.SequenceNode:
		for _, m := range n.Content {
			w.merge(m, fields, key, depth+1)
		}
	}
}

// leaf checks a value that decodes whole (a number, a word, a duration).
func (w *walker) leaf(n *yaml.Node, t reflect.Type, key string) {
	if !w.fits(n, t) {
		w.wrongValue(n, key, "%s is not %s", describe(n), want(t))
	}
}

// fits decodes a value alone into its type, as the whole decode would.
func (w *walker) fits(n *yaml.Node, t reflect.Type) bool {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n.Kind == yaml.ScalarNode && n.Decode(reflect.New(t).Interface()) == nil
}

// wrongValue reports a value of the wrong kind and clears it, so the
// rest of the file still decodes.
func (w *walker) wrongValue(n *yaml.Node, key, format string, a ...any) {
	w.bad(n, key, format, a...)
	w.wrong = append(w.wrong, n)
}

// describe names a value as the user wrote it.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a section of keys"
	case yaml.SequenceNode:
		return "a list"
	}
	v := []rune(n.Value)
	if len(v) > 40 {
		return strconv.Quote(string(v[:37]) + "...")
	}
	return strconv.Quote(n.Value)
}

// want names what a type accepts, in the words of a person editing YAML.
func want(t reflect.Type) string {
	if t == durationType {
		return "a duration (e.g. 30s, 5m, 1h)"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	}
	return "a valid value"
}

// fieldsOf maps the keys a struct accepts to their types, as yaml.v3 names
// them: the yaml tag's name, else the field name in lower case; ",inline"
// fields lend theirs; "-" and unexported fields take none.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.PkgPath != "" && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, flags, _ := strings.Cut(tag, ",")
		if strings.Contains(","+flags+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range fieldsOf(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func keysOf(fields map[string]reflect.Type) []string {
	out := make([]string, 0, len(fields))
	for k := range fields {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func join(key, sub string) string {
	if key == "" {
		return sub
	}
	return key + "." + sub
}
