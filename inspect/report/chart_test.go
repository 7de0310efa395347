package report

import (
	"fmt"
	"testing"
)

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		max     float64
		n       int
		integer bool
		want    string
	}{
		{282, 5, true, "[0 100 200 300]"},
		{0.6, 4, false, "[0 0.2 0.4 0.6]"}, // no 0.6000000000000001
		{2, 4, true, "[0 1 2]"},            // integer axes step by 1 at least
		{0, 4, true, "[0 1]"},              // an empty chart still has an axis
		{1, 5, false, "[0 0.2 0.4 0.6 0.8 1]"},
		{3001, 4, true, "[0 1000 2000 3000 4000]"},
	} {
		if got := fmt.Sprint(niceTicks(c.max, c.n, c.integer)); got != c.want {
			t.Errorf("niceTicks(%g, %d, %v) = %s, want %s", c.max, c.n, c.integer, got, c.want)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, c := range [][2]string{
		{fmtInt(0), "0"}, {fmtInt(999), "999"}, {fmtInt(1000), "1,000"}, {fmtInt(1234567), "1,234,567"}, {fmtInt(-4200), "-4,200"},
		{fmtUSD(0), "$0.00"}, {fmtUSD(0.7367), "$0.7367"}, {fmtUSD(1234.5), "$1,234.50"},
		{fmtPct(0.3596), "36.0%"}, {tickText(0.25), "0.25"}, {tickText(4000), "4,000"},
		{shorten("early_commercial", 8), "early_c…"}, {shorten("pilot", 8), "pilot"},
	} {
		if c[0] != c[1] {
			t.Errorf("got %q, want %q", c[0], c[1])
		}
	}
}

// TestTextOn: text on a mark keeps a readable contrast on every palette colour.
func TestTextOn(t *testing.T) {
	for fill, want := range map[string]string{"#0072B2": "#ffffff", "#F0E442": "#000000", "#E69F00": "#000000", "#08306b": "#ffffff", "#f7fbff": "#000000"} {
		if got := textOn(fill); got != want {
			t.Errorf("textOn(%s) = %s, want %s", fill, got, want)
		}
	}
}
