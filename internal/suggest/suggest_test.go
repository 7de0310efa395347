package suggest

import (
	"reflect"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"sorce", "source", 1}, {"ingets", "ingest", 1},
		{"soruces", "sources", 1}, {"kitten", "sitting", 3}, {"max_word", "max_words", 1},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	cmds := []string{"ingest", "init", "label", "lineage", "log", "sql", "split", "stats"}
	for _, c := range []struct {
		name string
		want []string
	}{
		{"ingets", []string{"ingest"}},
		{"INGEST", []string{"ingest"}},
		{"lable", []string{"label"}},
		{"sqll", []string{"sql"}},
		{"zzzzzz", nil},
		{"", nil},
		{"rawx", []string{"raw"}},
	} {
		cands := cmds
		if c.name == "rawx" {
			cands = []string{"corpus.raw", "raw", "rejects"}
		}
		if got := Closest(c.name, cands); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Closest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	if got := Phrase("soruces", []string{"sources", "filter"}); got != " (did you mean sources?)" {
		t.Errorf("Phrase = %q", got)
	}
	if got := Or([]string{"a", "b", "c"}); got != "a, b or c" {
		t.Errorf("Or = %q", got)
	}
}
