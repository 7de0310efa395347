package runlog

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestResult_Write(t *testing.T) {
	long := strings.Repeat("x", 300)
	r := &Result{Entries: []Entry{
		{Time: time.Date(2026, 12, 5, 23, 56, 38, 0, time.UTC), Stage: "split", RunID: "20261205T235638Z-b6f0b7",
			Table: "flt.splits", Seq: 1, Operation: "append", RowsAdded: 784, Inputs: []string{"flt.labels@2#1", "corpus.raw@2#9"},
			Params: `{"paths":["` + long + `"]}`, Command: "distill --lake /" + long + "/lake split", Snapshots: []Snapshot{{Seq: 1}}},
	}}
	var narrow, wide strings.Builder
	if err := r.Write(&narrow, Width); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(narrow.String()), "\n") {
		if n := utf8.RuneCountInString(l); n > Width {
			t.Errorf("line of %d characters, want at most %d: %s", n, Width, l)
		}
	}
	for _, want := range []string{" b6f0b7 ", " labels@2,corpus.raw@2 ", " splits@1 ", `{"paths":["xxx`, "…", "distill --…", "/lake split", "are flt's"} {
		if !strings.Contains(narrow.String(), want) {
			t.Errorf("narrow log lacks %q:\n%s", want, narrow.String())
		}
	}
	r.Write(&wide, 0)
	for _, want := range []string{"20261205T235638Z-b6f0b7", "flt.labels@2,corpus.raw@2", long + `"]}`, "flt.splits@1"} {
		if !strings.Contains(wide.String(), want) {
			t.Errorf("wide log lacks %q", want)
		}
	}
}

func TestShorten(t *testing.T) {
	for _, c := range []struct {
		s      string
		n      int
		middle bool
		want   string
	}{
		{"abcdef", 6, false, "abcdef"}, {"abcdefgh", 6, false, "abcde…"}, {"abcdefgh", 6, true, "ab…fgh"}, {"…ééé", 3, false, "…é…"},
	} {
		if got := shorten(c.s, c.n, c.middle); got != c.want {
			t.Errorf("shorten(%q, %d, %v) = %q, want %q", c.s, c.n, c.middle, got, c.want)
		}
	}
}
