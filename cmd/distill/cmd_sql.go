package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/progress"
	"github.com/distillery/distillery/internal/suggest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

func sqlCommand(e *env) *cli.Command {
	return &cli.Command{
		Name: "sql",
		Usage: `run DuckDB SQL over the lake: ns.table is the current snapshot, "ns.table@N" (double quotes) sequence number N, ` +
			`"ns.table@TAG" a tag; SHOW TABLES lists the lake; with no QUERY on a terminal, an interactive shell; ` +
			`it may read any file and COPY … TO any path outside the lake, never write inside it`,
		ArgsUsage: "[QUERY | -]",
		Flags: []cli.Flag{
			lakeFlag,
			&cli.StringFlag{Name: "filter", Usage: "filter package directory: its tables resolve without a namespace"},
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "read the query from `FILE` (- for standard input)"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "table, csv or json"},
			&cli.IntFlag{Name: "max-width", Value: 60, Usage: "truncate cells wider than this in table format (0: never)"},
		},
		Action: func(c *cli.Context) error {
			format := c.String("format")
			if format != "table" && format != "csv" && format != "json" {
				return fmt.Errorf("--format %q: want table, csv or json", format)
			}
			dir := c.String("filter") // checked before the action, as in every command with --filter
			query, shell, err := e.sqlQuery(c)
			if err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			ns := ""
			if dir != "" {
				ns = filterNamespace(dir)
			}
			sess, err := l.Session(c.Context, ns)
			if err != nil {
				return err
			}
			defer sess.Close()
			q := &sqlRunner{l: l, sess: sess, ns: ns, filterDir: dir, format: format, maxWidth: c.Int("max-width")}
			if shell {
				return q.shell(c.Context, e.stdin, e.stdout, e.stderr)
			}
			return q.runScript(c.Context, e.stdout, query)
		},
	}
}

// sqlQuery is the query to run: the argument, the file of -f, or standard
// input (-f -, a lone -, or no query with standard input not a terminal).
// shell is true when there is none and standard input is a terminal.
func (e *env) sqlQuery(c *cli.Context) (query string, shell bool, err error) {
	file, args := c.String("file"), c.Args().Slice()
	switch {
	case file != "" && len(args) > 0:
		return "", false, fmt.Errorf("sql reads the query from -f %s or from the argument, not both", file)
	case len(args) > 1:
		return "", false, fmt.Errorf("sql takes one QUERY argument (quote it), got %d", len(args))
	case len(args) == 1 && args[0] != "-":
		return args[0], false, nil
	case file != "" && file != "-":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", false, fmt.Errorf("sql -f: %w", err)
		}
		return string(b), false, nil
	case file == "" && len(args) == 0 && isTerminal(e.stdin):
		return "", true, nil
	}
	b, err := io.ReadAll(e.stdin)
	if err != nil {
		return "", false, fmt.Errorf("sql: reading the query from standard input: %w", err)
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", false, errors.New("sql: no query: give one as an argument, with -f FILE, or on standard input")
	}
	return string(b), false, nil
}

// isTerminal reports whether r is a terminal (a person typing).
func isTerminal(r io.Reader) bool {
	_, ok := progress.Terminal(r)
	return ok
}

// sqlRunner runs user queries on one session and prints their rows.
type sqlRunner struct {
	l         *lake.Lake
	sess      *lake.Session
	ns        string // the --filter's namespace, or ""
	filterDir string
	format    string
	maxWidth  int
}

// runScript runs each statement of a script in turn and prints the rows of
// each (a blank line between), as a file of queries or a pipe expects;
// the first error stops it.
func (q *sqlRunner) runScript(ctx context.Context, w io.Writer, script string) error {
	stmts, err := lake.SplitSQL(script)
	if err != nil || len(stmts) <= 1 {
		return q.run(ctx, w, script)
	}
	for i, st := range stmts {
		if i > 0 && q.format == "table" {
			fmt.Fprintln(w)
		}
		if err := q.run(ctx, w, st); err != nil {
			return err
		}
	}
	return nil
}

// run runs query and prints the rows of its last statement.
func (q *sqlRunner) run(ctx context.Context, w io.Writer, query string) error {
	// QueryUser: the query may read anything but write nothing inside the lake.
	rows, err := q.sess.QueryUser(ctx, query)
	if err != nil {
		return q.advise(ctx, err)
	}
	defer rows.Close()
	return writeRows(w, rows, q.format, q.maxWidth)
}

// advise adds to a missing table the stage that creates it, when it is one
// distill writes (or is spelled like one) and the lake lacks it yet.
func (q *sqlRunner) advise(ctx context.Context, err error) error {
	var ute *lake.UnknownTableError
	if !errors.As(err, &ute) {
		return err
	}
	ns, name, qualified := strings.Cut(strings.ToLower(ute.Name), ".")
	if !qualified {
		ns, name = q.ns, ns
	}
	t := spec.TableNamed(name)
	if t == nil {
		var names []string
		for _, t := range spec.Tables {
			names = append(names, t.Name)
		}
		if c := suggest.Closest(name, names); len(c) > 0 {
			t = spec.TableNamed(c[0])
		}
	}
	if t == nil {
		return err
	}
	if t.Kind == spec.Corpus {
		ns = spec.CorpusNamespace
	}
	written := t.Name
	if qualified || t.Kind == spec.Corpus && q.ns != "" {
		written = t.In(ns).String()
	}
	if ns == "" { // a filter's table, named without --filter or a namespace
		if len(ute.Near) > 0 {
			ute.Advice = t.Name + " is a filter's table: write its namespace (" + suggest.Or(ute.Near) + ") or pass --filter DIR"
			return err
		}
	} else if ok, xerr := q.l.Exists(ctx, t.In(ns)); xerr != nil || ok {
		return err
	}
	msg := spec.Need(t, ns, written+" does not exist yet", nil).Error()
	if q.filterDir != "" {
		msg = strings.ReplaceAll(msg, "--filter DIR", "--filter "+q.filterDir)
	}
	ute.Advice = msg
	return err
}

// checkFilterDir refuses a --filter that is no filter package, naming the
// packages near it.
func checkFilterDir(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, filters.ConfigFile)); err == nil {
		return nil
	}
	what := "no such folder"
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		what = "no " + filters.ConfigFile + " there (not a filter package)"
	}
	root := filepath.Clean(dir)
	for {
		if fi, err := os.Stat(root); err == nil && fi.IsDir() {
			break
		}
		up := filepath.Dir(root)
		if up == root {
			break
		}
		root = up
	}
	pkgs := filterPackages(root, 3)
	if near := suggest.Phrase(filepath.Clean(dir), pkgs); near != "" {
		return fmt.Errorf("--filter %s: %s%s", dir, what, near)
	}
	if len(pkgs) > 0 && len(pkgs) <= 6 {
		return fmt.Errorf("--filter %s: %s (filter packages under %s: %s)", dir, what, root, strings.Join(pkgs, ", "))
	}
	return fmt.Errorf("--filter %s: %s", dir, what)
}

// filterPackages lists the folders under root, at most depth levels down,
// that hold a filter.yaml; hidden folders are skipped.
func filterPackages(root string, depth int) []string {
	var out []string
	base := strings.Count(filepath.Clean(root), string(filepath.Separator))
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if p != root && strings.HasPrefix(d.Name(), ".") || strings.Count(p, string(filepath.Separator))-base > depth {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(p, filters.ConfigFile)); err == nil {
			out = append(out, p)
		}
		return nil
	})
	return out
}

var versionDir = regexp.MustCompile(`^v[0-9]+$`)

// filterNamespace is the lake namespace of a filter package directory: the
// name in its filter.yaml, or (for a package that does not load) the folder
// name of filters/<name>/v<N>.
func filterNamespace(dir string) string {
	if f, err := filters.Load(dir); err == nil {
		return f.Namespace()
	}
	dir = filepath.Clean(dir)
	if versionDir.MatchString(filepath.Base(dir)) {
		dir = filepath.Dir(dir)
	}
	return strings.ReplaceAll(strings.ToLower(filepath.Base(dir)), "-", "_")
}

// writeRows prints query results; csv and json write nothing but the data.
func writeRows(w io.Writer, rows *sql.Rows, format string, maxWidth int) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var data [][]any
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	cw := csv.NewWriter(w)
	if format == "csv" {
		if err := cw.Write(cols); err != nil {
			return err
		}
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		row := make([]any, len(cols))
		for i, v := range vals {
			row[i] = normalize(v)
		}
		if format == "csv" {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = cellText(v)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
			continue
		}
		data = append(data, row)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	switch format {
	case "csv":
		cw.Flush()
		return cw.Error()
	case "json":
		out := make([]map[string]any, len(data))
		for i, row := range data {
			m := make(map[string]any, len(cols))
			for j, c := range cols {
				m[c] = row[j]
			}
			out[i] = m
		}
		return human.JSONEncoder(w).Encode(orderedRows{cols: cols, rows: data})
	}
	return writeTable(w, cols, data, maxWidth)
}

// orderedRows marshals rows as JSON objects with keys in column order.
type orderedRows struct {
	cols []string
	rows [][]any
}

func (o orderedRows) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('[')
	for i, row := range o.rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for j, c := range o.cols {
			if j > 0 {
				b.WriteByte(',')
			}
			k, _ := human.MarshalJSON(c)
			v, err := human.MarshalJSON(row[j])
			if err != nil {
				v, _ = human.MarshalJSON(fmt.Sprint(row[j]))
			}
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return []byte(b.String()), nil
}

// normalize turns driver values into plain JSON-friendly values.
func normalize(v any) any {
	switch t := v.(type) {
	case []byte:
		return string(t)
	case time.Time:
		return t.UTC().Format(time.RFC3339Nano)
	case *big.Int:
		if t.IsInt64() {
			return t.Int64()
		}
		return t.String()
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = normalize(e)
		}
		return out
	case fmt.Stringer:
		return t.String()
	}
	return v
}

func cellText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case []any, map[string]any:
		b, _ := human.MarshalJSON(t)
		return string(b)
	case float64:
		return fmt.Sprintf("%g", t)
	}
	return fmt.Sprint(v)
}

func writeTable(w io.Writer, cols []string, data [][]any, maxWidth int) error {
	cells := make([][]string, len(data))
	width := make([]int, len(cols))
	for i, c := range cols {
		width[i] = utf8.RuneCountInString(c)
	}
	for r, row := range data {
		cells[r] = make([]string, len(cols))
		for i, v := range row {
			s := cellText(v)
			if v == nil {
				s = "NULL"
			}
			s = strings.Join(strings.Fields(s), " ")
			if maxWidth > 0 && utf8.RuneCountInString(s) > maxWidth {
				s = string([]rune(s)[:maxWidth-1]) + "…"
			}
			cells[r][i] = s
			width[i] = max(width[i], utf8.RuneCountInString(s))
		}
	}
	line := func(parts []string) {
		for i, p := range parts {
			if i > 0 {
				fmt.Fprint(w, " | ")
			}
			fmt.Fprint(w, p+strings.Repeat(" ", width[i]-utf8.RuneCountInString(p)))
		}
		fmt.Fprintln(w)
	}
	line(cols)
	sep := make([]string, len(cols))
	for i := range cols {
		sep[i] = strings.Repeat("-", width[i])
	}
	fmt.Fprintln(w, strings.Join(sep, "-+-"))
	for _, row := range cells {
		line(row)
	}
	fmt.Fprintf(w, "(%s)\n", human.Plural(int64(len(data)), "row"))
	return nil
}
