package lake

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/suggest"
)

// What a user query (`distill sql`) hears back is said in the lake's terms:
// DuckDB's own "Did you mean" offers its catalog (pragma_database_list,
// pg_tables), which a user of the lake never named, and its parser stops at
// the @ of a snapshot written without double quotes.

// UnknownTableError means a user query named a table the lake does not hold.
// It matches ErrNoTable.
type UnknownTableError struct {
	// Name is the table as the query wrote it ("corpus.rawx", "label").
	Name string
	// Near lists the lake's tables spelled close to Name, as the query
	// would write them (a short name in the session's default namespace).
	Near []string
	// Where is DuckDB's pointer to the name in the query ("LINE 1: …").
	Where string
	// Advice, when set, replaces the hint: what creates the table, say,
	// which only the caller knows (the lake knows no stages).
	Advice string
}

func (e *UnknownTableError) Error() string {
	msg := "no table " + e.Name + " in the lake"
	if len(e.Near) > 0 {
		msg += " (did you mean " + suggest.Or(e.Near) + "?)"
	}
	if e.Where != "" {
		msg += "\n" + e.Where
	}
	return msg
}

// Hint says how to see what the lake holds, or Advice.
func (e *UnknownTableError) Hint() string {
	if e.Advice != "" {
		return e.Advice
	}
	return "SHOW TABLES lists the lake's tables"
}

// Unwrap makes the error match ErrNoTable.
func (e *UnknownTableError) Unwrap() error { return ErrNoTable }

// QuoteError means a table or snapshot in a user query was quoted wrongly:
// a snapshot is a table name in double quotes ("corpus.raw@1"), and a table
// in single quotes is a string (DuckDB looks for a file of that name).
// Fixed is the statement's lines that change, as they should read.
type QuoteError struct {
	Msg   string
	Fixed []string
}

func (e *QuoteError) Error() string {
	return e.Msg + "\n  " + strings.Join(e.Fixed, "\n  ")
}

// Unwrap makes the error match ErrBadRef.
func (e *QuoteError) Unwrap() error { return ErrBadRef }

var (
	// noTableMsg finds the name in DuckDB's "Table with name X does not
	// exist" (X in quotes when its schema is missing too).
	noTableMsg = regexp.MustCompile(`Table with name (?:"([^"]*)"|(\S+)) does not exist`)
	// didYouMean is DuckDB's suggestion line.
	didYouMean = regexp.MustCompile(`\n?Did you mean "([^"]*)"\?`)
	// atRef is a table name and snapshot written without double quotes:
	// corpus.raw@1, items @ tag.
	atRef = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*@\s*([A-Za-z0-9_][A-Za-z0-9_.\-]*)`)
)

// explain turns DuckDB's error for statement st into one in the lake's
// terms where it can; refusals (ErrUnsafeSQL) pass as they are.
func (s *Session) explain(st statement, err error) error {
	if err == nil || errors.Is(err, ErrUnsafeSQL) {
		return err
	}
	var ute *UnknownTableError
	if errors.As(err, &ute) {
		return err
	}
	if errors.Is(err, ErrNoTable) { // a quoted "ns.table@N" whose table is missing
		for _, m := range refInQuery.FindAllStringSubmatch(st.text, -1) {
			if ref, perr := ParseRef(m[1], s.defaultNS); perr == nil && !s.hasTable(ref.TableName) {
				name, _, _ := strings.Cut(m[1], "@")
				return &UnknownTableError{Name: name, Near: s.nearTables(name)}
			}
		}
		return err
	}
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return err
	}
	where := ""
	if i := strings.Index(de.Msg, "\nLINE "); i >= 0 {
		where = strings.TrimSpace(de.Msg[i:])
	}
	if strings.Contains(de.Msg, `syntax error at or near "@"`) {
		if qe := unquotedSnapshot(st.text); qe != nil {
			return qe
		}
	}
	if m := noTableMsg.FindStringSubmatch(de.Msg); m != nil {
		if e := s.missingTable(st, m[1]+m[2], where); e != nil {
			return e
		}
	}
	return withoutInternals(de)
}

// missingTable explains DuckDB's missing table name as the query wrote
// it: a string that should have been a table or snapshot, or a table the
// lake lacks. Nil when the name is not found in the statement.
func (s *Session) missingTable(st statement, name, where string) error {
	lower := strings.ToLower(name)
	for i, t := range st.toks {
		if t.kind == tokString && strings.EqualFold(t.val, name) {
			return s.singleQuoted(st.text, t.val, where)
		}
		if (t.kind != tokWord && t.kind != tokIdent) || strings.ToLower(t.val) != lower {
			continue
		}
		if strings.Contains(name, ".") {
			break // DuckDB named it whole: its schema is missing
		}
		if i >= 2 && st.toks[i-1].val == "." && (st.toks[i-2].kind == tokWord || st.toks[i-2].kind == tokIdent) {
			name = st.toks[i-2].val + "." + t.val
		}
		break
	}
	return &UnknownTableError{Name: name, Near: s.nearTables(name), Where: where}
}

// singleQuoted explains a table or snapshot written in single quotes, or
// reports the name as missing when it is neither (a file that is not there).
func (s *Session) singleQuoted(text, val, where string) error {
	lit := quoteString(val)
	if name, at, ok := strings.Cut(val, "@"); ok {
		ref := strings.ToLower(name) + "@" + at
		return &QuoteError{
			Msg:   fmt.Sprintf("%s is a string, not a snapshot: a snapshot is a table name in double quotes, %s", lit, quoteIdent(ref)),
			Fixed: changedLines(text, strings.ReplaceAll(text, lit, quoteIdent(ref))),
		}
	}
	if tn, err := ParseTableName(strings.ToLower(val), s.defaultNS); err == nil && s.hasTable(tn) {
		return &QuoteError{
			Msg:   fmt.Sprintf("%s is a string, not a table: a table name takes no single quotes", lit),
			Fixed: changedLines(text, strings.ReplaceAll(text, lit, strings.ToLower(val))),
		}
	}
	return &UnknownTableError{Name: val, Near: s.nearTables(val), Where: where}
}

// unquotedSnapshot finds table@snapshot written outside quotes in text and
// says how it is written; nil when there is none.
func unquotedSnapshot(text string) *QuoteError {
	blank := blankQuoted(text)
	locs := atRef.FindAllStringSubmatchIndex(blank, -1)
	if len(locs) == 0 {
		return nil
	}
	var b strings.Builder
	var refs []string
	last := 0
	for _, m := range locs {
		ref := strings.ToLower(text[m[2]:m[3]]) + "@" + text[m[4]:m[5]]
		refs = append(refs, quoteIdent(ref))
		b.WriteString(text[last:m[0]])
		b.WriteString(quoteIdent(ref))
		last = m[1]
	}
	b.WriteString(text[last:])
	return &QuoteError{
		Msg:   fmt.Sprintf("a snapshot is a table name in double quotes: %s", suggest.Or(refs)),
		Fixed: changedLines(text, b.String()),
	}
}

// blankQuoted replaces every quoted literal or identifier in q (quotes
// included) with spaces, so that a pattern matched in the result is outside
// them and its offsets are q's.
func blankQuoted(q string) string {
	b := []byte(q)
	for i := 0; i < len(b); i++ {
		if b[i] != '\'' && b[i] != '"' {
			continue
		}
		quote, j := b[i], i+1
		for j < len(b) && (b[j] != quote || j+1 < len(b) && b[j+1] == quote) {
			if b[j] == quote {
				j++ // a doubled quote
			}
			j++
		}
		for k := i; k <= j && k < len(b); k++ {
			b[k] = ' '
		}
		i = j
	}
	return string(b)
}

// changedLines is the lines of after that differ from before, trimmed.
func changedLines(before, after string) []string {
	bl, al := strings.Split(before, "\n"), strings.Split(after, "\n")
	var out []string
	for i, l := range al {
		if i >= len(bl) || bl[i] != l {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// withoutInternals drops DuckDB's suggestion of one of its own catalog's
// names from err: it is never what a user of the lake meant.
func withoutInternals(de *duckdb.Error) error {
	msg := didYouMean.ReplaceAllStringFunc(de.Msg, func(m string) string {
		name := didYouMean.FindStringSubmatch(m)[1]
		if internalName(name) {
			return ""
		}
		return m
	})
	if msg == de.Msg {
		return de
	}
	return &duckdb.Error{Type: de.Type, Msg: msg}
}

func internalName(name string) bool {
	name = strings.ToLower(name)
	name = strings.TrimPrefix(strings.TrimPrefix(name, "main."), "pg_catalog.")
	for _, p := range []string{"pragma_", "pg_", "duckdb_", "information_schema", "sqlite_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// hasTable reports whether the lake has table n.
func (s *Session) hasTable(n TableName) bool {
	for _, t := range s.tables {
		if t == n {
			return true
		}
	}
	return false
}

// nearTables lists the lake's tables spelled close to name, as a query
// would write them: a qualified name is compared whole, then by its table
// part, which also finds the table in another namespace.
func (s *Session) nearTables(name string) []string {
	name = strings.ToLower(name)
	ns, tbl, qualified := strings.Cut(name, ".")
	if !qualified {
		tbl = ns
	}
	var full, short, out []string
	written := map[string][]string{}
	for _, n := range s.tables {
		full = append(full, n.String())
		short = append(short, n.Table)
		w := n.String()
		if n.Namespace == s.defaultNS && !qualified {
			w = n.Table
		}
		written[n.Table] = append(written[n.Table], w)
	}
	if qualified {
		out = suggest.Closest(name, full)
	}
	if len(out) == 0 {
		out = append(out, written[tbl]...) // the same table in another namespace
		for _, c := range suggest.Closest(tbl, short) {
			out = append(out, written[c]...)
		}
	}
	seen := map[string]bool{name: true}
	var dedup []string
	for _, c := range out {
		if !seen[c] && len(dedup) < 3 {
			seen[c] = true
			dedup = append(dedup, c)
		}
	}
	return dedup
}

// isShowTables reports whether toks are SHOW TABLES or SHOW ALL TABLES.
func isShowTables(toks []token) bool {
	var words []string
	for _, t := range toks {
		if t.kind != tokWord {
			return false
		}
		words = append(words, t.val)
	}
	w := strings.Join(words, " ")
	return w == "show tables" || w == "show all tables"
}

// showTables is the statement that lists the lake's tables: SHOW TABLES in
// DuckDB lists its main schema, where the lake has none.
func (s *Session) showTables(ctx context.Context) (statement, error) {
	infos, err := s.l.Tables(ctx)
	if err != nil {
		return statement{}, err
	}
	cols := `namespace, "table", "rows", snapshots, "current"`
	q := `SELECT NULL::VARCHAR AS namespace, NULL::VARCHAR AS "table", NULL::BIGINT AS "rows", ` +
		`NULL::BIGINT AS snapshots, NULL::BIGINT AS "current" WHERE false`
	if len(infos) > 0 {
		rows := make([]string, len(infos))
		for i, ti := range infos {
			cur := "NULL"
			if ti.Current != nil {
				cur = strconv.FormatInt(ti.Current.Seq, 10)
			}
			rows[i] = fmt.Sprintf("(%s, %s, %d::BIGINT, %d::BIGINT, %s::BIGINT)",
				quoteString(ti.Name.Namespace), quoteString(ti.Name.Table), ti.Rows, ti.Snapshots, cur)
		}
		q = "SELECT * FROM (VALUES " + strings.Join(rows, ", ") + ") AS lake_tables(" + cols + ") ORDER BY 1, 2"
	}
	stmts, err := splitStatements(q)
	if err != nil || len(stmts) != 1 {
		return statement{}, fmt.Errorf("show tables: %s, %v", human.Plural(int64(len(stmts)), "statement"), err)
	}
	return stmts[0], nil
}
