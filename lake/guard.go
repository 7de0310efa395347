package lake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/distillery/distillery/internal/suggest"
)

// User SQL (`distill sql`) may read any file, the lake's own Parquet
// included, and write anywhere but inside the lake. DuckDB cannot say that
// alone: allowed_directories is one list for reads and writes, and a user
// can SET it back. So QueryUser runs a query one statement at a time, each
// checked first:
//   - the lexer (sqllex.go) splits the query and finds each statement's kind
//     and write target; DuckDB then prepares the statement and must agree it
//     is exactly one statement of that kind, or nothing runs;
//   - COPY … TO, EXPORT DATABASE and ATTACH must name a plain '…' path that
//     resolves (relative to the working directory, ~ expanded, symlinks
//     followed, hard links and bind mounts compared by file identity) outside
//     the lake, and not to a folder holding it;
//   - extensions, IMPORT DATABASE, PREPARE/EXECUTE and the functions that run
//     SQL from a string or write files behind the configuration's back
//     (query(), enable_logging, …) are refused;
//   - the session's configuration is locked (lock_configuration) after its
//     own settings, so a SET cannot undo them.

// deniedCalls are functions a user query may not name: they run SQL given
// as a string (which the checks cannot see) or write files in spite of the
// locked configuration. Names followed by "(" only; the others anywhere.
var (
	deniedCalls = []string{"query", "json_execute_serialized_sql"}
	deniedNames = []string{"enable_logging", "import_database", "copy_database"}
)

// guard locks the session for user SQL; QueryUser calls it once.
func (s *Session) guard(ctx context.Context) error {
	if s.guarded {
		return nil
	}
	home, _ := os.UserHomeDir()
	tmp := filepath.Join(os.TempDir(), "distill-duckdb")
	for _, q := range []string{
		// Spill files go to the OS temp folder, never ./.tmp (which is in
		// the lake when run from inside it).
		"SET temp_directory = " + quoteString(tmp),
		// ~ in a path expands to this, as the checks expand it.
		"SET home_directory = " + quoteString(home),
		"SET allow_persistent_secrets = false",
		"SET allow_community_extensions = false",
		"SET lock_configuration = true",
	} {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("duckdb %s: %w", q, err)
		}
	}
	s.home, s.guarded = home, true
	return nil
}

// QueryUser runs a query a user wrote (`distill sql`): like Query, but every
// statement is checked before it runs and none may write inside the lake
// (see guard.go). A refused statement returns ErrUnsafeSQL saying why; the
// statements before it have run. The rows are the last statement's.
func (s *Session) QueryUser(ctx context.Context, q string) (*sql.Rows, error) {
	rows, err := s.queryUser(ctx, q)
	return rows, ctxError(ctx, err)
}

func (s *Session) queryUser(ctx context.Context, q string) (*sql.Rows, error) {
	if err := s.guard(ctx); err != nil {
		return nil, err
	}
	stmts, err := splitStatements(q)
	if err != nil {
		return nil, err
	}
	if len(stmts) == 0 {
		return nil, fmt.Errorf("%w: the query is empty", ErrUnsafeSQL)
	}
	for i, st := range stmts {
		if isShowTables(st.toks) {
			if st, err = s.showTables(ctx); err != nil {
				return nil, err
			}
		}
		if err := s.checkUser(ctx, st); err != nil {
			return nil, s.explain(st, err)
		}
		attached, err := s.databases(ctx)
		if err != nil {
			return nil, err
		}
		if i == len(stmts)-1 {
			rows, err := s.conn.QueryContext(ctx, st.text)
			if err != nil {
				return nil, s.explain(st, err)
			}
			if err := s.checkAttached(ctx, attached); err != nil {
				rows.Close()
				return nil, err
			}
			return rows, nil
		}
		if _, err := s.conn.ExecContext(ctx, st.text); err != nil {
			return nil, s.explain(st, err)
		}
		if err := s.checkAttached(ctx, attached); err != nil {
			return nil, err
		}
	}
	return nil, nil // not reached: stmts is not empty
}

// kinds of statement, by first keyword.
const (
	kindPlain   = "plain" // reads, or writes only DuckDB's own memory
	kindCopy    = "COPY"
	kindExport  = "EXPORT"
	kindAttach  = "ATTACH"
	kindExplain = "EXPLAIN"
)

var plainWords = []string{
	"select", "with", "from", "values", "table", "(", "summarize", "describe", "show", "pivot", "unpivot",
	"insert", "update", "delete", "create", "drop", "alter", "begin", "commit", "rollback", "start",
	"end", "abort", "detach", "use", "checkpoint", "vacuum", "analyze", "set", "reset", "pragma", "call",
}

// plainTypes are the DuckDB statement types a plain statement may prepare to.
var plainTypes = []duckdb.StmtType{
	duckdb.STATEMENT_TYPE_SELECT, duckdb.STATEMENT_TYPE_INSERT, duckdb.STATEMENT_TYPE_UPDATE,
	duckdb.STATEMENT_TYPE_DELETE, duckdb.STATEMENT_TYPE_CREATE, duckdb.STATEMENT_TYPE_ALTER,
	duckdb.STATEMENT_TYPE_TRANSACTION, duckdb.STATEMENT_TYPE_ANALYZE, duckdb.STATEMENT_TYPE_VARIABLE_SET,
	duckdb.STATEMENT_TYPE_CREATE_FUNC, duckdb.STATEMENT_TYPE_DROP, duckdb.STATEMENT_TYPE_PRAGMA,
	duckdb.STATEMENT_TYPE_VACUUM, duckdb.STATEMENT_TYPE_CALL, duckdb.STATEMENT_TYPE_SET, duckdb.STATEMENT_TYPE_DETACH,
}

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsafeSQL}, args...)...)
}

// checkUser refuses a statement that could write inside the lake, then has
// DuckDB prepare it and confirm it is one statement of the kind checked.
func (s *Session) checkUser(ctx context.Context, st statement) error {
	if err := deniedIn(st.toks); err != nil {
		return err
	}
	kind, err := s.checkTokens(st.toks)
	if err != nil {
		return err
	}
	if err := s.prepare(ctx, st.text); err != nil { // views the statement names
		return err
	}
	typ, err := s.statementType(st.text)
	if err != nil {
		return err
	}
	want := map[string]duckdb.StmtType{kindCopy: duckdb.STATEMENT_TYPE_COPY, kindExport: duckdb.STATEMENT_TYPE_EXPORT,
		kindAttach: duckdb.STATEMENT_TYPE_ATTACH, kindExplain: duckdb.STATEMENT_TYPE_EXPLAIN}
	if w, ok := want[kind]; ok && typ == w || kind == kindPlain && slices.Contains(plainTypes, typ) {
		return nil
	}
	return refuse("DuckDB reads %q as a statement of type %d, not %s: refused", firstWords(st.toks), typ, kind)
}

// checkTokens classifies a statement by its first keyword and checks its
// write target.
func (s *Session) checkTokens(toks []token) (string, error) {
	if len(toks) == 0 {
		return "", refuse("empty statement")
	}
	first := toks[0].val
	if toks[0].kind != tokWord && first != "(" {
		return "", refuse("a statement cannot start with %q", first)
	}
	switch first {
	case "copy":
		return kindCopy, s.checkCopy(toks)
	case "export":
		return kindExport, s.checkExport(toks)
	case "attach":
		return kindAttach, s.checkAttach(toks)
	case "explain":
		rest := toks[1:]
		if len(rest) > 0 && rest[0].kind == tokWord && rest[0].val == "analyze" {
			rest = rest[1:]
		}
		if len(rest) > 0 && rest[0].val == "(" { // EXPLAIN (FORMAT json) …
			d := rest[0].depth
			k := 1
			for k < len(rest) && !(rest[k].val == ")" && rest[k].depth == d) {
				k++
			}
			rest = rest[min(k+1, len(rest)):]
		}
		if len(rest) > 0 && rest[0].val == "explain" {
			return "", refuse("EXPLAIN EXPLAIN is not allowed")
		}
		if _, err := s.checkTokens(rest); err != nil {
			return "", err
		}
		return kindExplain, nil
	case "force":
		if len(toks) > 1 && toks[1].val == "checkpoint" {
			return kindPlain, nil
		}
	case "update":
		if len(toks) > 1 && toks[1].val == "extensions" {
			break
		}
		return kindPlain, nil
	}
	if slices.Contains(plainWords, first) {
		return kindPlain, nil
	}
	if near := suggest.Closest(first, plainWords); len(near) > 0 && !slices.Contains(refusedWords, first) {
		// A typo of a statement distill runs, not a refused one.
		return "", refuse("%s is not a SQL statement (did you mean %s?)", strings.ToUpper(first), strings.ToUpper(near[0]))
	}
	return "", refuse("%s statements are not allowed in user SQL (extensions, IMPORT, PREPARE/EXECUTE and the like)", strings.ToUpper(first))
}

// refusedWords open statements user SQL may not run, however close they are
// to one it may: their refusal is never taken for a typo.
var refusedWords = []string{"install", "load", "import", "prepare", "execute", "deallocate", "export", "attach"}

func firstWords(toks []token) string {
	var w []string
	for _, t := range toks[:min(3, len(toks))] {
		w = append(w, t.val)
	}
	return strings.Join(w, " ")
}

// deniedIn refuses tokens naming a denied function (quoted or not).
func deniedIn(toks []token) error {
	for i, t := range toks {
		if t.kind != tokWord && t.kind != tokIdent {
			continue
		}
		name := strings.ToLower(t.val)
		if slices.Contains(deniedNames, name) ||
			slices.Contains(deniedCalls, name) && i+1 < len(toks) && toks[i+1].val == "(" {
			return refuse("%s is not allowed in user SQL: it runs SQL the checks cannot see, or writes files", name)
		}
	}
	return nil
}

// checkCopy: COPY rel FROM file reads; COPY rel|(query) TO 'path' writes.
func (s *Session) checkCopy(toks []token) error {
	if len(toks) > 1 && toks[1].val == "from" {
		return refuse("COPY FROM DATABASE is not allowed in user SQL")
	}
	for i := 2; i < len(toks); i++ {
		t := toks[i]
		if t.depth != 0 || t.kind != tokWord || t.val != "to" && t.val != "from" {
			continue
		}
		if t.val == "from" {
			return nil // COPY table FROM file: a read into DuckDB's memory
		}
		return s.checkTarget("COPY … TO", toks[i+1:])
	}
	return refuse("COPY without TO or FROM")
}

// checkExport: EXPORT DATABASE [name TO] 'dir' [(options)].
func (s *Session) checkExport(toks []token) error {
	rest := toks[1:]
	if len(rest) > 0 && rest[0].val == "database" {
		rest = rest[1:]
	}
	if len(rest) > 2 && rest[0].kind != tokString && rest[1].val == "to" {
		rest = rest[2:]
	}
	return s.checkTarget("EXPORT DATABASE", rest)
}

// checkAttach: ATTACH [DATABASE] [IF NOT EXISTS] 'path' …; a 'type:path'
// prefix is checked with and without the type.
func (s *Session) checkAttach(toks []token) error {
	rest := toks[1:]
	if len(rest) > 0 && rest[0].val == "database" {
		rest = rest[1:]
	}
	if len(rest) > 3 && rest[0].val == "if" && rest[1].val == "not" && rest[2].val == "exists" {
		rest = rest[3:]
	}
	if len(rest) > 0 && rest[0].kind == tokString {
		p := rest[0].val
		if p == "" || strings.HasPrefix(p, ":memory:") {
			return nil
		}
		if i := strings.IndexByte(p, ':'); i > 0 && !strings.HasPrefix(p[i:], "://") && !strings.ContainsAny(p[:i], `/\`) {
			if err := s.checkPath("ATTACH", p[i+1:]); err != nil {
				return err
			}
		}
	}
	return s.checkTarget("ATTACH", rest)
}

// checkTarget checks that toks start with one plain string literal (or
// STDOUT) naming a path outside the lake.
func (s *Session) checkTarget(what string, toks []token) error {
	if len(toks) > 0 && toks[0].kind == tokWord && toks[0].val == "stdout" {
		return nil
	}
	if len(toks) == 0 || toks[0].kind != tokString {
		return refuse("%s must name its file as one plain '...' string literal (no expression, E'' or $$ string)", what)
	}
	if len(toks) > 1 && (toks[1].kind == tokString || toks[1].kind == tokOtherString) {
		return refuse("%s must name its file as one string literal, not several joined", what)
	}
	if err := checkNameOptions(what, toks[1:]); err != nil {
		return err
	}
	return s.checkPath(what, toks[0].val)
}

// nameOptions are the COPY options that become part of the names of the
// files written under the target: a '/' or '..' in them leaves the target
// folder (FILENAME_PATTERN '../../lake/warehouse/…' overwrote a data file).
var nameOptions = map[string]bool{"filename_pattern": true, "file_extension": true}

// checkNameOptions refuses a file-name option that is not one plain string
// naming a file inside the target folder.
func checkNameOptions(what string, opts []token) error {
	for i, t := range opts {
		if (t.kind != tokWord && t.kind != tokIdent) || !nameOptions[strings.ToLower(t.val)] {
			continue
		}
		j := i + 1
		if j < len(opts) && opts[j].kind == tokPunct && opts[j].val == "=" {
			j++
		}
		if j >= len(opts) || opts[j].kind != tokString {
			return refuse("%s option %s must be one plain '...' string literal", what, strings.ToUpper(t.val))
		}
		if v := opts[j].val; strings.ContainsAny(v, `/\`) || v == "." || v == ".." {
			return refuse("%s option %s %q names a path: it may only name files inside the target folder (no / or ..)", what, strings.ToUpper(t.val), v)
		}
	}
	return nil
}

// checkPath refuses a local path inside the lake, or one holding the lake.
func (s *Session) checkPath(what, p string) error {
	local, ok := s.localTarget(p)
	if !ok {
		return nil // a remote URL (s3://, https://): not a local file
	}
	if local == "" {
		return refuse("%s %q: a file: URL that is not file:///path", what, p)
	}
	inside, err := s.l.holds(local)
	if err != nil {
		return refuse("%s %q: %v", what, p, err)
	}
	if inside {
		return fmt.Errorf("%w: %s %q writes inside the lake %s (user SQL may read the lake, never write it): write somewhere else",
			ErrUnsafeSQL, what, p, s.l.Root)
	}
	return nil
}

// localTarget is the local path DuckDB writes for p ("", true: a file: URL
// it cannot tell; ok false: a remote URL).
func (s *Session) localTarget(p string) (string, bool) {
	switch {
	case strings.HasPrefix(p, "file://localhost/"):
		return strings.TrimPrefix(p, "file://localhost"), true
	case strings.HasPrefix(p, "file:///"):
		return strings.TrimPrefix(p, "file://"), true
	case strings.HasPrefix(p, "file:/") && !strings.HasPrefix(p, "file://"):
		return strings.TrimPrefix(p, "file:"), true
	case strings.HasPrefix(p, "file:"):
		return "", true
	case strings.Contains(p, "://"):
		return "", false
	case p == "~" || strings.HasPrefix(p, "~/"):
		return s.home + p[1:], true
	}
	return p, true
}

// databases lists the attached databases' names.
func (s *Session) databases(ctx context.Context) (map[string]bool, error) {
	rows, err := s.conn.QueryContext(ctx, "SELECT database_name FROM duckdb_databases()")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// checkAttached detaches, with an error, a database attached since before
// whose views or macros name a denied function: their SQL would run
// unchecked.
func (s *Session) checkAttached(ctx context.Context, before map[string]bool) error {
	now, err := s.databases(ctx)
	if err != nil {
		return err
	}
	for db := range now {
		if before[db] {
			continue
		}
		var bad error
		err := s.Each(ctx, "SELECT sql FROM duckdb_views() WHERE database_name = "+quoteString(db)+
			" UNION ALL SELECT macro_definition FROM duckdb_functions() WHERE database_name = "+quoteString(db)+" AND macro_definition IS NOT NULL",
			func(r *sql.Rows) error {
				var def sql.NullString
				if err := r.Scan(&def); err != nil {
					return err
				}
				stmts, err := splitStatements(def.String)
				if err != nil {
					bad = err
				}
				for _, st := range stmts {
					if err := deniedIn(st.toks); err != nil && bad == nil {
						bad = err
					}
				}
				return nil
			})
		if err == nil && bad != nil {
			err = fmt.Errorf("database %s, attached: %w (detached)", db, bad)
		}
		if err != nil {
			_, _ = s.conn.ExecContext(ctx, "DETACH "+quoteIdent(db))
			return err
		}
	}
	return nil
}

// statementType prepares q alone on the session's connection (no statement
// runs) and returns its DuckDB statement type; a q DuckDB reads as several
// statements is refused.
func (s *Session) statementType(q string) (duckdb.StmtType, error) {
	var typ duckdb.StmtType
	err := s.conn.Raw(func(dc any) error {
		c, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("duckdb connection of type %T", dc)
		}
		st, err := c.Prepare(q)
		if err != nil {
			if strings.Contains(err.Error(), "multi-statement") {
				return refuse("DuckDB reads %q as several statements: refused", q)
			}
			return err
		}
		defer st.Close()
		ds, ok := st.(*duckdb.Stmt)
		if !ok {
			return fmt.Errorf("duckdb statement of type %T", st)
		}
		typ, err = ds.StatementType()
		return err
	})
	return typ, err
}

// holds reports whether writing path p (relative to the working directory)
// could change the lake: p resolves, symlinks followed, inside the lake's
// root or its warehouse (which a lake on PostgreSQL may keep elsewhere), or
// to a folder holding one, or names a file that is one of the lake's (a
// hard link) or a folder that is the lake (a bind mount).
func (l *Lake) holds(p string) (bool, error) {
	roots := []string{l.Root, l.Warehouse()}
	if l.objectStoreLake() {
		// No local folder holds the warehouse; the local copies views
		// read do (made here if need be: nothing may write there first).
		roots = roots[:1]
		d, err := ObjectCacheDir()
		if err == nil {
			err = os.MkdirAll(d, 0o755)
		}
		if err != nil {
			return false, fmt.Errorf("object cache: %w", err)
		}
		roots = append(roots, d)
	}
	for _, r := range roots {
		if in, err := holdsUnder(p, r); in || err != nil {
			return in, err
		}
	}
	return false, nil
}

func holdsUnder(p, lakeRoot string) (bool, error) {
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return false, err
		}
		p = wd + string(filepath.Separator) + p
	}
	target, err := realPath(p)
	if err != nil {
		return false, err
	}
	root, err := realPath(lakeRoot)
	if err != nil {
		return false, err
	}
	if within(target, root) || within(root, target) {
		return true, nil
	}
	rootInfo, err := os.Stat(root)
	if err != nil {
		return false, err
	}
	// The folder the target sits in (or any above it) may be the lake's root
	// under another name: a bind mount, a case-insensitive file system.
	for dir := target; ; dir = filepath.Dir(dir) {
		if fi, err := os.Stat(dir); err == nil && os.SameFile(fi, rootInfo) {
			return true, nil
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	// An existing file may be a hard link to one of the lake's.
	fi, err := os.Stat(target)
	if err != nil || fi.IsDir() {
		return false, nil
	}
	found := false
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || found {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			if li, err := d.Info(); err == nil && os.SameFile(li, fi) {
				found = true
				return filepath.SkipAll
			}
		}
		return nil
	})
	return found, nil
}

// within reports whether p is dir or below it (both cleaned, absolute).
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// realPath resolves an absolute path as the OS would: component by
// component, following symlinks (of the final component too, so a dangling
// link is followed to where a write would create its target) and applying
// ".." to the resolved folder. Below the first component that does not
// exist the rest is taken as written.
func realPath(p string) (string, error) {
	return resolveFrom(filepath.VolumeName(p)+string(filepath.Separator), p[len(filepath.VolumeName(p)):], 0)
}

func resolveFrom(cur, rest string, links int) (string, error) {
	parts := strings.Split(filepath.ToSlash(rest), "/")
	for i, part := range parts {
		switch part {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.Join(append([]string{next}, parts[i+1:]...)...), nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links > 40 {
			return "", fmt.Errorf("too many symbolic links at %s", next)
		}
		link, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		remaining := strings.Join(parts[i+1:], "/")
		if filepath.IsAbs(link) {
			return resolveFrom(filepath.VolumeName(link)+string(filepath.Separator), link[len(filepath.VolumeName(link)):]+"/"+remaining, links+1)
		}
		return resolveFrom(cur, link+"/"+remaining, links+1)
	}
	return cur, nil
}
