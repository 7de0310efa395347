package lake

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/apache/iceberg-go"
	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver

	"github.com/distillery/distillery"
)

// Session is a DuckDB connection with a view for every lake table: ns.table
// reads the current snapshot, and a quoted "ns.table@N" or "ns.table@tag" in a
// query reads that snapshot. Views read Parquet by Iceberg field id, so a
// table whose schema evolved reads correctly at every snapshot.
//
// Views are defined when a query first names their table (defining one
// loads the table's metadata and plans its files: ~10 ms each), so opening
// a session costs the same however many tables the lake holds.
type Session struct {
	l         *Lake
	db        *sql.DB
	conn      *sql.Conn
	defaultNS string
	defined   map[string]bool
	tables    []TableName // every table, for views defined on first mention
	current   map[TableName]bool
	guarded   bool   // locked for user SQL (guard.go)
	temps     int    // temporary tables of deleted rows made (deletes.go)
	home      string // DuckDB's home_directory once guarded: what ~ means
}

// Session opens a DuckDB session over the lake. With defaultNS set (a
// filter's namespace) bare table names resolve there first.
func (l *Lake) Session(ctx context.Context, defaultNS string) (*Session, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, ctxError(ctx, fmt.Errorf("open duckdb: %w", err))
	}
	s := &Session{l: l, db: db, conn: conn, defaultNS: defaultNS, defined: map[string]bool{}, current: map[TableName]bool{}}
	if err := s.init(ctx); err != nil {
		s.Close()
		return nil, ctxError(ctx, err)
	}
	return s, nil
}

func (s *Session) init(ctx context.Context) error {
	// No extension can be downloaded here; parquet and json are built in.
	for _, q := range []string{"SET autoinstall_known_extensions=false", "SET autoload_known_extensions=false"} {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("duckdb %s: %w", q, err)
		}
	}
	names, err := s.l.tableNames(ctx)
	if err != nil {
		return err
	}
	schemas := map[string]bool{}
	for _, n := range names {
		if !schemas[n.Namespace] {
			if _, err := s.conn.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(n.Namespace)); err != nil {
				return fmt.Errorf("duckdb schema %s: %w", n.Namespace, err)
			}
			schemas[n.Namespace] = true
		}
	}
	s.tables = names
	if s.defaultNS != "" {
		if !schemas[s.defaultNS] {
			if _, err := s.conn.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(s.defaultNS)); err != nil {
				return err
			}
		}
		if _, err := s.conn.ExecContext(ctx, "SET search_path = "+quoteString(s.defaultNS+",main")); err != nil {
			return fmt.Errorf("duckdb search_path: %w", err)
		}
	}
	return nil
}

// refInQuery matches a quoted "ns.table@N", "ns.table@tag" or "table@tag".
var refInQuery = regexp.MustCompile(`"([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?@[A-Za-z0-9_][A-Za-z0-9_.\-]*)"`)

// listsTables matches queries that list tables rather than name them.
var listsTables = regexp.MustCompile(`(?i)\b(show|describe|information_schema|duckdb_tables|duckdb_views|duckdb_columns)\b`)

// mentions reports whether q names table n (as ns.table, or as table in the
// default namespace) as a whole word; a quoted "ns.table@N" is no mention of
// the current table. A mention inside a string literal only defines a view
// too many.
func (s *Session) mentions(lower string, n TableName) bool {
	names := []string{n.Namespace + "." + n.Table}
	if n.Namespace == s.defaultNS {
		names = append(names, n.Table)
	}
	for _, name := range names {
		for i := 0; ; {
			j := strings.Index(lower[i:], name)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(name)
			ref := end < len(lower) && lower[end] == '@' && start > 0 && lower[start-1] == '"' // "ns.table@N" names a snapshot
			if (start == 0 || !identByte(lower[start-1])) && (end == len(lower) || !identByte(lower[end])) && !ref {
				return true
			}
			i = start + 1
		}
	}
	return false
}

func identByte(c byte) bool {
	return c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// prepare defines the views a query needs: the current snapshot of every
// table it names, and every snapshot reference it quotes.
func (s *Session) prepare(ctx context.Context, q string) error {
	lower := strings.ToLower(q)
	all := listsTables.MatchString(q)
	for _, n := range s.tables {
		if mentioned := s.mentions(lower, n); !s.current[n] && (all || mentioned) {
			view := quoteIdent(n.Namespace) + "." + quoteIdent(n.Table)
			err := s.defineView(ctx, Ref{TableName: n}, view)
			var lz *LegacyCodecError
			if errors.As(err, &lz) && !mentioned {
				// SHOW TABLES and the like still list a table DuckDB cannot
				// read; reading it says why.
				err = s.failingView(ctx, n, view, err)
			}
			if err != nil {
				return err
			}
			s.current[n] = true
		}
	}
	for _, m := range refInQuery.FindAllStringSubmatch(q, -1) {
		if s.defined[m[1]] {
			continue
		}
		ref, err := ParseRef(m[1], s.defaultNS)
		if err != nil {
			return err
		}
		if err := s.defineView(ctx, ref, "main."+quoteIdent(m[1])); err != nil {
			return err
		}
		s.defined[m[1]] = true
	}
	return nil
}

// Relation returns a SQL name that reads ref (defining its view if needed)
// and the snapshot it resolved to (nil for a table with no snapshot yet).
func (s *Session) Relation(ctx context.Context, ref Ref) (string, *Snapshot, error) {
	rel, snap, err := s.relation(ctx, ref)
	return rel, snap, ctxError(ctx, err)
}

func (s *Session) relation(ctx context.Context, ref Ref) (string, *Snapshot, error) {
	snap, err := s.l.Resolve(ctx, ref)
	if err != nil {
		return "", nil, err
	}
	name := ref.String()
	if snap != nil {
		name = snap.Ref().String() // pin: a later commit must not change what this reads
	}
	if !s.defined[name] {
		if err := s.defineView(ctx, mustRef(name), "main."+quoteIdent(name)); err != nil {
			return "", nil, err
		}
		s.defined[name] = true
	}
	return "main." + quoteIdent(name), snap, nil
}

func mustRef(s string) Ref {
	r, _ := ParseRef(s, "")
	return r
}

func (s *Session) defineView(ctx context.Context, ref Ref, view string) error {
	tbl, err := s.l.loadTable(ctx, ref.TableName)
	if err != nil {
		return err
	}
	snap, err := resolve(tbl, ref)
	if err != nil {
		return err
	}
	sf, sc, err := s.l.files(ctx, tbl, snap, ref.At != "")
	if err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	if err := s.l.localCopies(ctx, ref.TableName, tbl, sf); err != nil { // objects: read local copies
		return err
	}
	foots, err := footers(ctx, ref.TableName, sf.paths)
	if err != nil {
		return err
	}
	body, err := s.selectView(ctx, tbl, sc, sf, foots)
	if err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	if _, err := s.conn.ExecContext(ctx, "CREATE OR REPLACE VIEW "+view+" AS "+body); err != nil {
		return fmt.Errorf("define view for %s: %w", ref, err)
	}
	return nil
}

// failingView defines view with the table's columns and no file behind it:
// reading it fails with cause.
func (s *Session) failingView(ctx context.Context, n TableName, view string, cause error) error {
	tbl, err := s.l.loadTable(ctx, n)
	if err != nil {
		return err
	}
	_, cols, err := schemaEntries(tbl.Schema(), false, nil)
	if err != nil {
		return err
	}
	q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT %s FROM range(1) WHERE error(%s) IS NULL", view, strings.Join(cols, ", "), quoteString(cause.Error()))
	if _, err := s.conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("define view for %s: %w", n, err)
	}
	return nil
}

// selectFiles is a SELECT over Parquet files that maps columns by Iceberg field
// id (DuckDB matches by name unless given a schema map), so renamed or added
// columns read correctly in files of every schema version.
func selectFiles(paths []string, sc *iceberg.Schema) (string, error) {
	entries, cols, err := schemaEntries(sc, false, nil)
	if err != nil {
		return "", err
	}
	if len(paths) == 0 {
		return "SELECT " + strings.Join(cols, ", ") + " WHERE false", nil
	}
	return fmt.Sprintf("SELECT * FROM read_parquet([%s], schema = map {%s})",
		quoteList(paths), strings.Join(entries, ", ")), nil
}

// schemaEntries returns read_parquet's schema map entries for sc, one per
// column, and the view's columns: NULLs of each column's type, or, with
// alias or phys (nested names in the files that differ from sc's), each
// column read (under the name f<field id> with alias) and renamed.
func schemaEntries(sc *iceberg.Schema, alias bool, phys map[int]string) (entries, cols []string, err error) {
	for _, f := range sc.Fields() {
		typ, err := duckTypeNamed(f.Type, phys)
		if err != nil {
			return nil, nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		name := f.Name
		if alias {
			name = fmt.Sprintf("f%d", f.ID)
		}
		if alias || phys != nil {
			expr, _ := renamed(quoteIdent(name), f.Type, phys, 0)
			cols = append(cols, fmt.Sprintf("%s AS %s", expr, quoteIdent(f.Name)))
		} else {
			cols = append(cols, fmt.Sprintf("CAST(NULL AS %s) AS %s", typ, quoteIdent(f.Name)))
		}
		entries = append(entries, fmt.Sprintf("%d: {name: %s, type: %s, default_value: NULL}", f.ID, quoteString(name), quoteString(typ)))
	}
	return entries, cols, nil
}

// Query runs a query, first defining views for the snapshot references it names.
func (s *Session) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := s.prepare(ctx, q); err != nil {
		return nil, ctxError(ctx, err)
	}
	rows, err := s.conn.QueryContext(ctx, q, args...)
	return rows, ctxError(ctx, err)
}

// Exec runs a statement, first defining views for the snapshot references it names.
func (s *Session) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := s.prepare(ctx, q); err != nil {
		return nil, ctxError(ctx, err)
	}
	res, err := s.conn.ExecContext(ctx, q, args...)
	return res, ctxError(ctx, err)
}

// Close ends the session.
func (s *Session) Close() error {
	if s.conn != nil {
		s.conn.Close()
	}
	return s.db.Close()
}

// QueryRow runs a query that returns one row and scans it into dest.
func (s *Session) QueryRow(ctx context.Context, q string, dest ...any) error {
	if err := s.prepare(ctx, q); err != nil {
		return ctxError(ctx, err)
	}
	return ctxError(ctx, s.conn.QueryRowContext(ctx, q).Scan(dest...))
}

// RunDuckDB runs statements on a fresh in-memory DuckDB, outside any lake
// (benchmarks compare against DuckDB's own readers and writers with it).
func RunDuckDB(ctx context.Context, statements ...string) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range statements {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("duckdb: %w", err)
		}
	}
	return nil
}

// QuoteString quotes s as a SQL string literal.
func QuoteString(s string) string { return quoteString(s) }

// StringSet runs a query whose first column is a string and returns the set
// of its values (NULLs skipped): the ids, keys or hashes a stage must skip.
func (s *Session) StringSet(ctx context.Context, q string, args ...any) (map[string]bool, error) {
	rows, err := s.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			return nil, ctxError(ctx, err)
		}
		if v.Valid {
			out[v.String] = true
		}
	}
	return out, ctxError(ctx, rows.Err())
}

// ExecAll runs statements in order; an error names the statement by its
// first line.
func (s *Session) ExecAll(ctx context.Context, statements ...string) error {
	for _, q := range statements {
		if _, err := s.Exec(ctx, q); err != nil {
			first, _, _ := strings.Cut(strings.TrimSpace(q), "\n")
			return fmt.Errorf("%s: %w", first, err)
		}
	}
	return nil
}

// Each runs a query and hands every row to scan.
func (s *Session) Each(ctx context.Context, q string, scan func(*sql.Rows) error) error {
	rows, err := s.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return ctxError(ctx, err)
		}
	}
	return ctxError(ctx, rows.Err())
}

// ColumnInfo is one column of a relation: its name and DuckDB type.
type ColumnInfo struct {
	Name string
	Type string
}

// Columns returns the columns of rel (a table, view or pinned relation) in
// their order, without reading a row.
func (s *Session) Columns(ctx context.Context, rel string) ([]ColumnInfo, error) {
	rows, err := s.Query(ctx, "SELECT * FROM "+rel+" LIMIT 0")
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", rel, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, ctxError(ctx, fmt.Errorf("columns of %s: %w", rel, err))
	}
	out := make([]ColumnInfo, len(types))
	for i, t := range types {
		out[i] = ColumnInfo{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	return out, nil
}

// ColumnNames returns the names of rel's columns in their order.
func (s *Session) ColumnNames(ctx context.Context, rel string) ([]string, error) {
	cols, err := s.Columns(ctx, rel)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names, nil
}

// Vars are DuckDB session variables, read in SQL as getvariable('name').
// They carry what a view or a COLUMNS(...) lambda reads (the filter's
// dimension list, say), which a statement parameter cannot reach.
type Vars map[string]any

// JSONAs is a variable value DuckDB cannot bind as it is (a list of
// structs): it is bound as JSON text and cast to Type in SQL.
type JSONAs struct {
	Value any
	Type  string
}

// varName is what a variable may be called: it is spliced into SET VARIABLE.
var varName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// SetVariables sets every variable to its value, bound as a parameter.
func (s *Session) SetVariables(ctx context.Context, vars Vars) error {
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if !varName.MatchString(n) {
			return fmt.Errorf("variable name %q", n)
		}
		v, q := vars[n], "SET VARIABLE "+n+" = ?"
		if j, ok := v.(JSONAs); ok {
			b, err := json.Marshal(j.Value)
			if err != nil {
				return fmt.Errorf("variable %s: %w", n, err)
			}
			v, q = string(b), "SET VARIABLE "+n+" = CAST(?::JSON AS "+j.Type+")"
		}
		if _, err := s.conn.ExecContext(ctx, q, v); err != nil {
			return ctxError(ctx, fmt.Errorf("variable %s: %w", n, err))
		}
	}
	return nil
}

// Params are the values of a SQL file's $name parameters. Only the names
// the statement uses are bound: DuckDB refuses a value it has no parameter for.
type Params map[string]any

func (p Params) args(q string) []any {
	var out []any
	seen := map[string]bool{}
	for _, name := range paramNames(q) {
		if v, ok := p[name]; ok && !seen[name] {
			seen[name] = true
			out = append(out, sql.Named(name, v))
		}
	}
	return out
}

// paramNames lists the $name parameters q uses, in order: outside string
// literals, quoted identifiers and comments (a file's header names its
// parameters without using them).
func paramNames(q string) []string {
	var out []string
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case c == '\'' || c == '"':
			if j := strings.IndexByte(q[i+1:], c); j >= 0 {
				i += j + 1 // a doubled quote reopens: the next pass skips it the same way
			} else {
				i = len(q)
			}
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			if j := strings.IndexByte(q[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(q)
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			if j := strings.Index(q[i+2:], "*/"); j >= 0 {
				i += j + 3
			} else {
				i = len(q)
			}
		case c == '$':
			j := i + 1
			for j < len(q) && (q[j] == '_' || q[j] >= 'a' && q[j] <= 'z' || j > i+1 && q[j] >= '0' && q[j] <= '9') {
				j++
			}
			if j > i+1 {
				out = append(out, q[i+1:j])
			}
			i = j - 1
		}
	}
	return out
}

// Input makes rel readable as name (a temporary view) for the SQL files
// that read name. It is how a pinned snapshot, whose relation the lake
// builds, reaches a file: files name their inputs, never a snapshot.
func (s *Session) Input(ctx context.Context, name, rel string) error {
	if _, err := s.Exec(ctx, "CREATE OR REPLACE TEMP VIEW "+quoteIdent(name)+" AS SELECT * FROM "+rel); err != nil {
		return fmt.Errorf("input %s: %w", name, err)
	}
	return nil
}

// fileError names the SQL file, and the table it was filling, in err.
func fileError(file, table string, err error) error {
	if table != "" {
		return fmt.Errorf("sql/%s.sql into %s: %w", file, table, err)
	}
	return fmt.Errorf("sql/%s.sql: %w", file, err)
}

// QueryFile runs sql/<file>.sql with its parameters bound.
func (s *Session) QueryFile(ctx context.Context, file string, p Params) (*sql.Rows, error) {
	q := distillery.SQL(file)
	rows, err := s.Query(ctx, q, p.args(q)...)
	if err != nil {
		return nil, fileError(file, "", err)
	}
	return rows, nil
}

// QueryRowFile runs sql/<file>.sql, which returns one row, and scans it into dest.
func (s *Session) QueryRowFile(ctx context.Context, file string, p Params, dest ...any) error {
	q := distillery.SQL(file)
	if err := s.prepare(ctx, q); err != nil {
		return ctxError(ctx, fileError(file, "", err))
	}
	if err := s.conn.QueryRowContext(ctx, q, p.args(q)...).Scan(dest...); err != nil {
		return ctxError(ctx, fileError(file, "", err))
	}
	return nil
}

// EachFile runs sql/<file>.sql and hands every row to scan.
func (s *Session) EachFile(ctx context.Context, file string, p Params, scan func(*sql.Rows) error) error {
	rows, err := s.QueryFile(ctx, file, p)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return ctxError(ctx, fileError(file, "", err))
		}
	}
	if err := rows.Err(); err != nil {
		return ctxError(ctx, fileError(file, "", err))
	}
	return nil
}

// TempTable fills the temporary table (replacing it) with the rows of
// sql/<file>.sql.
func (s *Session) TempTable(ctx context.Context, table, file string, p Params) error {
	q := distillery.SQL(file)
	if _, err := s.Exec(ctx, "CREATE OR REPLACE TEMP TABLE "+quoteIdent(table)+" AS "+q, p.args(q)...); err != nil {
		return fileError(file, table, err)
	}
	return nil
}

// TempView defines the temporary view as sql/<file>.sql, read afresh by
// each query that names it (a view takes no parameters: it reads variables).
func (s *Session) TempView(ctx context.Context, view, file string) error {
	if _, err := s.Exec(ctx, "CREATE OR REPLACE TEMP VIEW "+quoteIdent(view)+" AS "+distillery.SQL(file)); err != nil {
		return fileError(file, view, err)
	}
	return nil
}
