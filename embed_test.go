package distillery

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestSQL_EveryFilePrepares prepares every embedded SQL file against DuckDB,
// with the inputs they read created from testdata/sql/fixtures.sql, and
// checks each opens with a comment saying what it reads and returns.
func TestSQL_EveryFilePrepares(t *testing.T) {
	fixtures, err := os.ReadFile("testdata/sql/fixtures.sql")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range strings.Split(string(fixtures), ";\n") {
		if strings.TrimSpace(stripComments(q)) == "" {
			continue
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("fixtures: %v\n%s", err, q)
		}
	}
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

func stripComments(q string) string {
	var b strings.Builder
	for _, line := range strings.Split(q, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
