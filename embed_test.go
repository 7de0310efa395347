package distillery

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestSQL_EveryFilePrepares prepares every embedded SQL file against DuckDB,
// with the inputs they read created from testdata/sql/fixtures.sql, and
// checks each opens with a comment saying what it reads and returns.
func TestSQL_EveryFilePrepares(t *testing.T) {
	conn := fixtureConn(t)
	ctx := context.Background()
	names := SQLNames()
	if len(names) == 0 {
		t.Fatal("no SQL files embedded")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			q := SQL(name)
			if !strings.HasPrefix(q, "--") || !strings.Contains(q, "-- Returns") && !strings.Contains(q, "-- Creates") {
				t.Errorf("sql/%s.sql must open with a comment naming its inputs and a '-- Returns' (or '-- Creates') line", name)
			}
			st, err := conn.PrepareContext(ctx, q)
			if err != nil {
				t.Fatalf("sql/%s.sql does not prepare: %v", name, err)
			}
			st.Close()
		})
	}
	if q := SQL("no/such"); !strings.Contains(q, "no file sql/no/such.sql") {
		t.Errorf("SQL of a missing name = %q", q)
	}
}

var update = flag.Bool("update", false, "rewrite testdata/sql/<dir>/<name>.want from the results")

// goldenParams are the values a file's $name parameters take on the fixtures.
var goldenParams = map[string]any{
	"seed": 42, "ratios": []float64{0.8, 0.1, 0.1}, "stratify_by": "tier", "near_threshold": 0.8, "run_id": "r1",
	"labels": "s.labels@1", "labels_sequence": 1, "incremental": true, "split": "test",
	"models": []string{"m1"}, "combine": "latest", "predictions_sequence": 3, "splits_sequence": 2,
	"with_balanced_out": false, "id": "m1", "sources": []string{"site.example", "ds2"}, "cap": 1, "versions": []string{"v1", "v2"},
	"phrases": []string{"title: X", "cookie"}, "tag": "production", "filter": "f1", "candidate": "m2", "production": "m1", "limit": 5, "first": "m1", "lowest": "low", "recall": 0.5, "threshold": 3.0,
	"oracle": "gemini", "model": "gemini-2.5-flash", "since": "2025-12-31 00:00:00+00", "encoder": "minilm-4@m1", "sample": 5, "scored_by": "m1",
	"by": "week", "window": "2026-W03", "psi_threshold": 0.2, "pass_threshold": 0.05, "min_articles": 2,
	"skip_runs": []string{"r9"},
}

// macros are the files that define a macro (-- Creates): run before the
// others, not as queries.
var macros = []string{"labels/oracle_name", "agree/t975"}

// notGolden are the files skipped by TestSQL_Golden, with why: their rows
// carry the time of the run.
var notGolden = map[string]string{
	"labels/oracle_name": "defines a macro: no rows",
	"agree/t975":         "defines a macro: no rows",
	"split/final":        "split_at is now()",
	"eval/written_rows":  "evaluated_at is now()",
}

var golden = regexp.MustCompile(`\$([a-z_][a-z0-9_]*)`)

// TestSQL_Golden runs every SQL file on the fixtures and compares its rows
// with testdata/sql/<dir>/<name>.want (go test -update rewrites them).
func TestSQL_Golden(t *testing.T) {
	conn := fixtureConn(t)
	for _, name := range SQLNames() {
		t.Run(name, func(t *testing.T) {
			if why, skip := notGolden[name]; skip && why != "" {
				t.Skip(why)
			}
			q := SQL(name)
			var args []any
			seen := map[string]bool{}
			for _, m := range golden.FindAllStringSubmatch(stripComments(q), -1) {
				if !seen[m[1]] {
					seen[m[1]] = true
					args = append(args, sql.Named(m[1], goldenParams[m[1]]))
				}
			}
			got, err := resultText(conn, q, args)
			if err != nil {
				t.Fatalf("sql/%s.sql on the fixtures: %v", name, err)
			}
			path := filepath.Join("testdata", "sql", name+".want")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("sql/%s.sql on the fixtures:\ngot:\n%s\nwant:\n%s", name, got, want)
			}
		})
	}
}

// resultText is the header and rows of a query, one tab-separated line each,
// sorted when the query has no ORDER BY of its own.
func resultText(conn *sql.Conn, q string, args []any) (string, error) {
	rows, err := conn.QueryContext(context.Background(), q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			cells[i] = fmt.Sprint(v)
		}
		lines = append(lines, strings.Join(cells, "\t"))
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if !strings.Contains(strings.ToUpper(stripComments(q)), "ORDER BY") {
		slices.Sort(lines)
	}
	return strings.Join(cols, "\t") + "\n" + strings.Join(append(lines, ""), "\n"), nil
}

func stripComments(q string) string {
	var b strings.Builder
	for _, line := range strings.Split(q, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// fixtureConn is a DuckDB connection holding testdata/sql/fixtures.sql.
func fixtureConn(t *testing.T) *sql.Conn {
	t.Helper()
	fixtures, err := os.ReadFile("testdata/sql/fixtures.sql")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	for _, q := range strings.Split(string(fixtures), ";\n") {
		if strings.TrimSpace(stripComments(q)) == "" {
			continue
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("fixtures: %v\n%s", err, q)
		}
	}
	// The macros the files use, defined by files of their own.
	for _, name := range macros {
		if _, err := conn.ExecContext(ctx, SQL(name)); err != nil {
			t.Fatalf("sql/%s.sql: %v", name, err)
		}
	}
	return conn
}
