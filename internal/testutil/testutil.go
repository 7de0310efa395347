// Package testutil finds the shared test data (../shared beside the
// repository), makes throwaway lakes for tests, and compares golden folders
// (testdata/<case>/{input,want}, rewritten with -update).
package testutil

import (
	"context"
	"database/sql"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
)

// RepoRoot is the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// Shared returns the path of rel inside ../shared (or $DISTILL_SHARED), and
// fails the test when it is missing: CI always has it.
func Shared(t testing.TB, rel string) string {
	t.Helper()
	root := os.Getenv("DISTILL_SHARED")
	if root == "" {
		root = filepath.Join(filepath.Dir(RepoRoot(t)), "shared")
	}
	p := filepath.Join(root, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test data missing: %v (set DISTILL_SHARED to the shared/ folder)", err)
	}
	return p
}

// NewLake creates a lake in a temporary directory, closed when the test ends.
func NewLake(t testing.TB) *lake.Lake {
	t.Helper()
	l, err := lake.Create(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// QueryInt runs a one-value query over the lake.
func QueryInt(t testing.TB, l *lake.Lake, q string) int64 {
	t.Helper()
	ctx := context.Background()
	s, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int64
	if err := s.QueryRow(ctx, q, &n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// QueryStrings runs a query returning one string column.
func QueryStrings(t testing.TB, l *lake.Lake, q string) []string {
	t.Helper()
	var out []string
	eachRow(t, l, q, nil, func(rows *sql.Rows) {
		var v *string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v == nil {
			out = append(out, "<NULL>")
		} else {
			out = append(out, *v)
		}
	})
	return out
}

// eachRow runs q over the lake (no default namespace), gives its column
// names to head (when set), then calls row for each of its rows; any error
// fails the test.
func eachRow(t testing.TB, l *lake.Lake, q string, head func([]string), row func(*sql.Rows)) {
	t.Helper()
	ctx := context.Background()
	s, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Query(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	if head != nil {
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		head(cols)
	}
	for rows.Next() {
		row(rows)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// ClosedPort returns the URL of a local port nothing listens on: an oracle
// pointed at it fails every call with "connection refused".
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	return url
}

// Filter loads the filter package at rel, a folder relative to the
// repository root (e.g. "filters/sustainability_tech_deployment/v1").
func Filter(t testing.TB, rel string) *filters.Filter {
	t.Helper()
	f, err := filters.Load(filepath.Join(RepoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return f
}
