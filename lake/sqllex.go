package lake

import (
	"fmt"
	"strings"
)

// A small lexer for the user SQL that Session.QueryUser guards: enough of
// DuckDB's (PostgreSQL's) lexical rules to split a query into statements,
// find each statement's first keyword and its write target, and blank out
// comments. It never decides alone: DuckDB confirms each piece is one
// statement of the kind the lexer found before it runs (guard.go).

type tokKind int

const (
	tokWord        tokKind = iota // keyword or bare identifier (value lowercased)
	tokIdent                      // "quoted identifier" (value unescaped)
	tokString                     // 'plain string' (value unescaped)
	tokOtherString                // E'...', $tag$...$tag$, U&'...': kept, never a write target
	tokPunct                      // one byte of punctuation, or a number / parameter
)

type token struct {
	kind  tokKind
	val   string
	depth int // parenthesis depth before the token
}

// statement is one statement's tokens and its source text with comments
// blanked (what runs, so DuckDB sees exactly what was checked).
type statement struct {
	toks []token
	text string
}

// splitStatements splits q at top-level semicolons. Comments are replaced
// by spaces in the returned texts; empty statements are dropped.
func splitStatements(q string) ([]statement, error) {
	var out []statement
	var cur statement
	var text strings.Builder
	depth := 0
	flush := func() {
		if len(cur.toks) > 0 {
			// Only the whitespace the lexer skips is trimmed: U+2003
			// and its kin are word bytes to it, as to DuckDB.
			cur.text = strings.Trim(text.String(), sqlSpace)
			out = append(out, cur)
		}
		cur = statement{}
		text.Reset()
	}
	i := 0
	for i < len(q) {
		c := q[i]
		switch {
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			text.WriteByte(' ')
			i += j
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			// Block comments nest, as in DuckDB.
			n, j := 1, i+2
			for j < len(q) && n > 0 {
				switch {
				case strings.HasPrefix(q[j:], "/*"):
					n, j = n+1, j+2
				case strings.HasPrefix(q[j:], "*/"):
					n, j = n-1, j+2
				default:
					j++
				}
			}
			if n > 0 {
				return nil, fmt.Errorf("%w: unterminated /* comment", ErrUnsafeSQL)
			}
			text.WriteByte(' ')
			i = j
		case strings.IndexByte(sqlSpace, c) >= 0:
			text.WriteByte(c)
			i++
		case c == ';' && depth == 0:
			flush()
			i++
		case c == '\'':
			val, j, err := quoted(q, i, '\'', false)
			if err != nil {
				return nil, err
			}
			cur.toks = append(cur.toks, token{tokString, val, depth})
			text.WriteString(q[i:j])
			i = j
		case c == '"':
			val, j, err := quoted(q, i, '"', false)
			if err != nil {
				return nil, err
			}
			cur.toks = append(cur.toks, token{tokIdent, val, depth})
			text.WriteString(q[i:j])
			i = j
		case (c == 'e' || c == 'E') && i+1 < len(q) && q[i+1] == '\'':
			_, j, err := quoted(q, i+1, '\'', true)
			if err != nil {
				return nil, err
			}
			cur.toks = append(cur.toks, token{tokOtherString, q[i:j], depth})
			text.WriteString(q[i:j])
			i = j
		case (c == 'u' || c == 'U') && strings.HasPrefix(q[i+1:], "&'"):
			_, j, err := quoted(q, i+2, '\'', false)
			if err != nil {
				return nil, err
			}
			cur.toks = append(cur.toks, token{tokOtherString, q[i:j], depth})
			text.WriteString(q[i:j])
			i = j
		case c == '$' && i+1 < len(q) && (q[i+1] == '$' || isIdentStart(q[i+1])):
			k := i + 1
			for k < len(q) && q[k] != '$' && isIdentByte(q[k]) {
				k++
			}
			if k >= len(q) || q[k] != '$' {
				// $name without a closing $: a named parameter.
				cur.toks = append(cur.toks, token{tokPunct, q[i:k], depth})
				text.WriteString(q[i:k])
				i = k
				continue
			}
			tag := q[i : k+1]
			end := strings.Index(q[k+1:], tag)
			if end < 0 {
				return nil, fmt.Errorf("%w: unterminated %s string", ErrUnsafeSQL, tag)
			}
			j := k + 1 + end + len(tag)
			cur.toks = append(cur.toks, token{tokOtherString, q[i:j], depth})
			text.WriteString(q[i:j])
			i = j
		case isIdentStart(c) || c >= 0x80:
			j := i
			for j < len(q) && (isIdentByte(q[j]) || q[j] == '$' || q[j] >= 0x80) {
				j++
			}
			cur.toks = append(cur.toks, token{tokWord, strings.ToLower(q[i:j]), depth})
			text.WriteString(q[i:j])
			i = j
		default:
			switch c {
			case '(':
				cur.toks = append(cur.toks, token{tokPunct, "(", depth})
				depth++
			case ')':
				depth--
				cur.toks = append(cur.toks, token{tokPunct, ")", depth})
			default:
				cur.toks = append(cur.toks, token{tokPunct, string(c), depth})
			}
			text.WriteByte(c)
			i++
		}
	}
	flush()
	return out, nil
}

// quoted reads a literal opened by quote at q[i]; a doubled quote is one
// quote, and with backslash set (E'...') a backslash escapes the next byte.
// It returns the unescaped value and the index just past the literal.
func quoted(q string, i int, quote byte, backslash bool) (string, int, error) {
	var b strings.Builder
	j := i + 1
	for j < len(q) {
		switch c := q[j]; {
		case backslash && c == '\\' && j+1 < len(q):
			b.WriteByte(q[j+1])
			j += 2
		case c == quote && j+1 < len(q) && q[j+1] == quote:
			b.WriteByte(quote)
			j += 2
		case c == quote:
			return b.String(), j + 1, nil
		default:
			b.WriteByte(c)
			j++
		}
	}
	return "", 0, fmt.Errorf("%w: unterminated %c literal", ErrUnsafeSQL, quote)
}

// sqlSpace is the whitespace between tokens.
const sqlSpace = " \t\n\r\f\v"

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentByte(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// SplitSQL splits a script into its statements (at semicolons outside
// quotes, parentheses and comments), so that each one's rows can be shown.
func SplitSQL(q string) ([]string, error) {
	stmts, err := splitStatements(q)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(stmts))
	for i, s := range stmts {
		out[i] = s.text
	}
	return out, nil
}
