package human

import (
	"strings"
	"testing"
)

func TestNumber(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0.1 + 0.2 + 0.9, "1.2"}, {1.2000000000000002, "1.2"}, {3, "3"}, {0.25, "0.25"},
		{-0.5, "-0.5"}, {0, "0"}, {1e-9, "1e-09"}, {123456789, "123456789"}, {0.7367, "0.7367"},
	} {
		if got := Number(c.f); got != c.want {
			t.Errorf("Number(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 rows"}, {1, "1 row"}, {2, "2 rows"}} {
		if got := Plural(c.n, "row"); got != c.want {
			t.Errorf("Plural(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Plural(1, "duplicate"); got != "1 duplicate" {
		t.Error(got)
	}
	if got := Plural(3, "match", "matches"); got != "3 matches" {
		t.Error(got)
	}
	if got := Noun(1, "match", "matches") + "," + Noun(0, "call"); got != "match,calls" {
		t.Errorf("Noun = %q, want match,calls", got)
	}
}

func TestJSONEncoder_KeepsAngleBrackets(t *testing.T) {
	var b strings.Builder
	if err := JSONEncoder(&b).Encode(map[string]string{"q": "score > 5 && tier <> 'x'"}); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"q\": \"score > 5 && tier <> 'x'\"\n}\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	m, err := MarshalJSON("a > b")
	if err != nil || string(m) != `"a > b"` {
		t.Errorf("MarshalJSON = %s, %v; want \"a > b\"", m, err)
	}
}

func TestSigned(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{{-1e-12, "+0.000"}, {1e-12, "+0.000"}, {0, "+0.000"}, {-0.0004, "+0.000"}, {-0.0006, "-0.001"}, {0.5, "+0.500"}, {-2.25, "-2.250"}} {
		if got := Signed(c.x, 3); got != c.want {
			t.Errorf("Signed(%v) = %q, want %q", c.x, got, c.want)
		}
	}
}
