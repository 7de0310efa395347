package strictyaml

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

type inner struct {
	MaxWords int     `yaml:"max_words"`
	Share    float64 `yaml:"head_share"`
}

type embedded struct {
	Workers int `yaml:"workers"`
}

type doc struct {
	Name     string           `yaml:"name"`
	Sources  []string         `yaml:"sources"`
	Inner    inner            `yaml:"compression"`
	Items    []inner          `yaml:"items"`
	Scale    map[int]string   `yaml:"scale"`
	Every    time.Duration    `yaml:"every"`
	Temp     *float64         `yaml:"temperature"`
	Hidden   string           `yaml:"-"`
	Untagged bool             // yaml.v3 names it untagged
	Levels   map[int][]string `yaml:"levels"`
	embedded `yaml:",inline"`
}

func TestDecode_EveryProblemWithLineAndKey(t *testing.T) {
	src := `name: x
soruces: [a]
compression:
  max_word: 800
  head_share: lots
items:
  - {max_words: 1, head_shar: 0.5}
scale: {x: low, 3: mid}
every: soon
temperature: [1]
hidden: 1
workers: 2
untagged: true
name: y
`
	var d doc
	lines, probs := Decode([]byte(src), &d)
	var got []string
	for _, p := range probs {
		got = append(got, p.Format("f.yaml"))
	}
	want := []string{
		`f.yaml:2: soruces: unknown key (did you mean sources?)`,
		`f.yaml:4: compression.max_word: unknown key (did you mean max_words?)`,
		`f.yaml:5: compression.head_share: "lots" is not a number`,
		`f.yaml:7: items[0].head_shar: unknown key (did you mean head_share?)`,
		`f.yaml:8: scale.x: "x" is not a whole number`,
		`f.yaml:9: every: "soon" is not a duration (e.g. 30s, 5m, 1h)`,
		`f.yaml:10: temperature: a list is not a number`,
		`f.yaml:11: hidden: unknown key`,
		`f.yaml:14: name: set twice (first on line 1): keep one`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range got {
		if strings.Contains(s, "strictyaml.") || strings.Contains(s, "float64") || strings.Contains(s, " type ") {
			t.Errorf("names a Go type: %s", s)
		}
	}
	// The rest of the file decodes around the problems.
	if d.Name != "x" || d.Workers != 2 || !d.Untagged || d.Scale[3] != "mid" || len(d.Items) != 1 || d.Items[0].MaxWords != 1 {
		t.Errorf("decoded %+v", d)
	}
	if n := lines.Of("items[0].max_words"); n != 7 {
		t.Errorf("line of items[0].max_words = %d, want 7", n)
	}
	if n := lines.Of("items[].weight"); n != 6 {
		t.Errorf("line of items[].weight = %d, want 6 (items)", n)
	}
}

func TestDecode_ValidDocumentDecodes(t *testing.T) {
	src := "base: &b {max_words: 90}\n"
	type withBase struct {
		Base  inner `yaml:"base"`
		Inner inner `yaml:"compression"`
	}
	var d withBase
	_, probs := Decode([]byte(src+"compression:\n  <<: *b\n  head_share: 0.5\n"), &d)
	if len(probs) > 0 || d.Inner.MaxWords != 90 || d.Inner.Share != 0.5 {
		t.Errorf("problems %v, decoded %+v", probs, d)
	}
	if _, probs := Decode(nil, &d); len(probs) > 0 {
		t.Errorf("empty document: %v", probs)
	}
}

func TestDecode_SyntaxErrorHasItsLine(t *testing.T) {
	var d doc
	_, probs := Decode([]byte("name: x\nsources: [a\n"), &d)
	if len(probs) != 1 || probs[0].Line == 0 || strings.HasPrefix(probs[0].Msg, "yaml:") {
		t.Errorf("problems %+v, want one with a line and no yaml: prefix", probs)
	}
}

// FuzzDecode holds Decode to yaml.v3's strict decoder: a document one
// accepts the other accepts, into the same value; Decode never panics.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("name: x\nsoruces: [a]\ncompression: {max_words: 8}\n"))
	f.Add([]byte("items:\n  - &i {max_words: 1}\n  - *i\nscale: {1: a}\nlevels: {2: [b]}\nevery: 3s\ntemperature: 0.5\n"))
	f.Add([]byte("base: &b {max_words: 90}\ncompression:\n  <<: *b\n  head_share: 0.5\n"))
	f.Add([]byte("name: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got doc
		_, probs := Decode(data, &got)
		var want doc
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		err := dec.Decode(&want)
		if errors.Is(err, io.EOF) {
			err = nil
		}
		if (err == nil) != (len(probs) == 0) {
			t.Fatalf("yaml.v3 strict: %v; Decode: %v", err, probs)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded %+v, yaml.v3 %+v", got, want)
		}
	})
}
