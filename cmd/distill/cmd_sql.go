package main

import (
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"math/big"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
)

func sqlCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "sql",
		Usage:     `run DuckDB SQL over the lake: ns.table is the current snapshot, "ns.table@N" sequence number N, "ns.table@TAG" a tag; it may read any file and COPY … TO any path outside the lake, never write inside it`,
		ArgsUsage: "QUERY",
		Flags: []cli.Flag{
			lakeFlag,
			&cli.StringFlag{Name: "filter", Usage: "filter package directory: its tables resolve without a namespace"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "table, csv or json"},
			&cli.IntFlag{Name: "max-width", Value: 60, Usage: "truncate cells wider than this in table format (0: never)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("sql takes one QUERY argument (quote it), got %d", c.NArg())
			}
			format := c.String("format")
			if format != "table" && format != "csv" && format != "json" {
				return fmt.Errorf("--format %q: want table, csv or json", format)
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			ns := ""
			if dir := c.String("filter"); dir != "" {
				ns = filterNamespace(dir)
			}
			sess, err := l.Session(c.Context, ns)
			if err != nil {
				return err
			}
			defer sess.Close()
			// QueryUser: the query may read anything but write nothing inside the lake.
			rows, err := sess.QueryUser(c.Context, c.Args().First())
			if err != nil {
				return err
			}
			defer rows.Close()
			return writeRows(e.stdout, rows, format, c.Int("max-width"))
		},
	}
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
