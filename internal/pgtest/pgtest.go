// Package pgtest gives a test its own PostgreSQL database, on the server
// whose URL is in DISTILL_TEST_POSTGRES (.ci/postgres.sh starts one and
// .ci/run exports it). Without that variable, URL skips the test and says
// why. Entry point: URL.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Env names the PostgreSQL server the tests use: a URL of a database the
// user may CREATE DATABASE from, e.g. postgres://distill@127.0.0.1:5432/postgres.
const Env = "DISTILL_TEST_POSTGRES"

// URL creates a new, empty database on the test server and returns its URL;
// the database is dropped when the test ends. Without Env the test skips.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Skipf("no PostgreSQL server: set %s to a postgres:// URL (.ci/postgres.sh starts one and prints it) to run this test", Env)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "distill_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create database %s on %s=%s: %v", name, Env, base, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
