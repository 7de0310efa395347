package lake

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// userLake is a lake with t.items (two snapshots) and c.raw, for the
// tests of what user SQL says back.
func userLake(t *testing.T) *Lake {
	t.Helper()
	ctx := context.Background()
	l := newLake(t)
	other := TableName{Namespace: "c", Table: "raw"}
	for _, n := range []TableName{testTable, other} {
		if err := l.EnsureTable(ctx, n, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
			t.Fatal(err)
		}
	}
	appendRows(t, l, testTable, "a", "b")
	appendRows(t, l, testTable, "c")
	appendRows(t, l, other, "x")
	return l
}

// duckdbInternals are names from DuckDB's own catalog that its "Did you
// mean" offers, which mean nothing to a user of the lake.
var duckdbInternals = []string{"pragma_", "pg_", "duckdb_", "information_schema", "sqlite_"}

func userErr(t *testing.T, l *Lake, ns, q string) error {
	t.Helper()
	ctx := context.Background()
	sess, err := l.Session(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	rows, err := sess.QueryUser(ctx, q)
	if err == nil {
		rows.Close()
		t.Fatalf("%s: no error", q)
	}
	for _, w := range duckdbInternals {
		if strings.Contains(err.Error(), w) {
			t.Errorf("%s: error names DuckDB's catalog (%s): %v", q, w, err)
		}
	}
	return err
}

// TestSession_QueryUserUnknownTable: a table the lake lacks is reported as
// such, with the lake's tables spelled close to it, never DuckDB's
// catalog suggestions (pragma_database_list, pg_tables).
func TestSession_QueryUserUnknownTable(t *testing.T) {
	l := userLake(t)
	for _, c := range []struct {
		ns, q, name string
		near        []string
	}{
		{"", "SELECT * FROM t.itemz", "t.itemz", []string{"t.items"}},
		{"", "SELECT * FROM itemz", "itemz", []string{"t.items"}},
		{"t", "SELECT * FROM item", "item", []string{"items"}},
		{"t", "SELECT * FROM c.raw r JOIN itemx i USING (id)", "itemx", []string{"items"}},
		{"", "SELECT * FROM tt.items", "tt.items", []string{"t.items"}},
		{"", `SELECT * FROM "t.itemz@1"`, "t.itemz", []string{"t.items"}},
		{"", "SELECT * FROM zzzzzzzz", "zzzzzzzz", nil},
	} {
		err := userErr(t, l, c.ns, c.q)
		var ute *UnknownTableError
		if !errors.As(err, &ute) {
			t.Errorf("%s: err = %v (%T), want an UnknownTableError", c.q, err, err)
			continue
		}
		if !errors.Is(err, ErrNoTable) {
			t.Errorf("%s: err does not match ErrNoTable", c.q)
		}
		if ute.Name != c.name || !slices.Equal(ute.Near, c.near) {
			t.Errorf("%s: name %q near %q, want %q near %q", c.q, ute.Name, ute.Near, c.name, c.near)
		}
		if len(c.near) > 0 && !strings.Contains(err.Error(), "did you mean "+c.near[0]) {
			t.Errorf("%s: %q does not suggest %s", c.q, err, c.near[0])
		}
	}
}

// TestSession_QueryUserSnapshotQuotes: a snapshot written in single quotes
// or without quotes is explained: a snapshot is a table name in double
// quotes, and the statement is shown corrected.
func TestSession_QueryUserSnapshotQuotes(t *testing.T) {
	l := userLake(t)
	for _, c := range []struct{ ns, q, want string }{
		{"", "SELECT count(*) FROM 't.items@1'", `FROM "t.items@1"`},
		{"", "SELECT count(*) FROM t.items@1", `FROM "t.items@1"`},
		{"", "SELECT count(*) FROM t.items @ 1 WHERE id <> 'a@b'", `FROM "t.items@1" WHERE id <> 'a@b'`},
		{"t", "SELECT count(*) FROM items@first", `FROM "items@first"`},
		{"", "SELECT count(*) FROM 't.items'", `FROM t.items`},
	} {
		err := userErr(t, l, c.ns, c.q)
		var qe *QuoteError
		if !errors.As(err, &qe) {
			t.Errorf("%s: err = %v (%T), want a QuoteError", c.q, err, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %q does not show %s", c.q, err, c.want)
		}
		if strings.Contains(c.want, "@") && !strings.Contains(err.Error(), "double quotes") {
			t.Errorf("%s: %q does not say a snapshot takes double quotes", c.q, err)
		}
	}
}

// TestSession_QueryUserShowTables: SHOW TABLES lists the lake's tables (it
// listed DuckDB's empty main schema: 0 rows).
func TestSession_QueryUserShowTables(t *testing.T) {
	ctx := context.Background()
	l := userLake(t)
	for _, q := range []string{"SHOW TABLES", "show all tables;", "SHOW TABLES; "} {
		sess, err := l.Session(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := sess.QueryUser(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var got []string
		for rows.Next() {
			var ns, tbl string
			var n, snaps, cur int64
			if err := rows.Scan(&ns, &tbl, &n, &snaps, &cur); err != nil {
				t.Fatal(err)
			}
			got = append(got, strings.Join([]string{ns, tbl, itoa(n), itoa(snaps), itoa(cur)}, " "))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		sess.Close()
		want := []string{"c raw 1 1 1", "t items 3 2 2"}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestSession_QueryUserStatementTypo: a misspelt statement is answered as a
// typo with the statement meant; a refused statement stays refused.
func TestSession_QueryUserStatementTypo(t *testing.T) {
	l := userLake(t)
	for q, want := range map[string]string{
		"selct 1":               "SELCT is not a SQL statement (did you mean SELECT?)",
		"SELEC * FROM t.items":  "SELEC is not a SQL statement (did you mean SELECT?)",
		"install httpfs":        "INSTALL statements are not allowed",
		"prepare p AS SELECT 1": "PREPARE statements are not allowed",
	} {
		if err := userErr(t, l, "", q); !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", q, err, want)
		}
	}
}
