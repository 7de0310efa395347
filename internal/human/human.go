// Package human prints numbers and counts as a person writes them: 1.2 (not
// 1.2000000000000002), "1 row" and "2 rows".
package human

import (
	"math"
	"strconv"
	"strings"
)

// Number prints f with at most ten significant digits and no trailing
// zeros, so the float noise of a sum (0.1+0.2+0.9) never reaches a message.
func Number(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if r := strconv.FormatFloat(f, 'g', 10, 64); len(r) < len(s) && !strings.ContainsAny(r, "e") {
		return r
	}
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e15) {
		return strconv.FormatFloat(f, 'g', 10, 64)
	}
	return s
}

// Plural is "1 row", "2 rows", "0 rows"; the plural is the singular with an
// s unless given (Plural(2, "match", "matches")).
func Plural(n int64, singular string, plural ...string) string {
	return strconv.FormatInt(n, 10) + " " + Noun(n, singular, plural...)
}

// Noun is the word alone that Plural puts after n, for a caller that prints
// n its own way (the report's 1,234).
func Noun(n int64, singular string, plural ...string) string {
	if n == 1 || n == -1 {
		return singular
	}
	if len(plural) > 0 {
		return plural[0]
	}
	return singular + "s"
}

// Signed prints x with its sign and prec decimals, as a shift or a bias is
// read; a value that rounds to zero is +0 whatever the sign of the float
// noise it came from, so the same data never prints -0.000 one run and
// +0.000 the next.
func Signed(x float64, prec int) string {
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}
