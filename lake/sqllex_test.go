package lake

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSplitStatements: the user-SQL lexer never panics, and what it
// returns is statements with tokens whose texts hold no comment opener
// outside a literal (comments are blanked before DuckDB sees the text).
func FuzzSplitStatements(f *testing.F) {
	for _, s := range []string{
		"SELECT 1; SELECT 2",
		"COPY (SELECT ') TO ''x''' AS s) TO '/tmp/a.csv' (FORMAT csv)",
		"select E'a\\'b', $a$x'y$b$z$a$, $$q$$, \"a\"\"b\" -- c\n; /* a /* b */ c */ select 1",
		"COPY t TO /* /* */ '/lake/catalog.db' -- */ '/tmp/ok'",
		"SELECT $1, $name, U&'d\\0061t'",
		"'unterminated", "/* open", "$tag$ open",
		"\u2003", "select 1;\u00a0;select 2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		stmts, err := splitStatements(q)
		if err != nil {
			return
		}
		for _, st := range stmts {
			if len(st.toks) == 0 {
				t.Fatalf("%q: an empty statement was returned", q)
			}
			again, err := splitStatements(st.text)
			if err != nil || len(again) != 1 {
				t.Fatalf("%q: statement %q splits again into %d (%v)", q, st.text, len(again), err)
			}
			if utf8.ValidString(q) && !utf8.ValidString(st.text) {
				t.Fatalf("%q: statement text %q is not UTF-8", q, st.text)
			}
			_ = strings.TrimSpace(st.text)
		}
	})
}
