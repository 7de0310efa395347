package lake

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/pgtest"
)

// newPGLake creates a lake whose catalog is a new PostgreSQL database of
// its own (the test skips without a server).
func newPGLake(t *testing.T) (*Lake, string) {
	t.Helper()
	url := pgtest.URL(t)
	l, err := CreateWith(context.Background(), t.TempDir(), Options{Catalog: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, url
}

// A lake on PostgreSQL: created, written, reopened by its folder alone
// (catalog.json), and opened from a second machine's folder with only the
// catalog URL, which finds the warehouse the catalog records.
func TestOpenWith_PostgresCatalog(t *testing.T) {
	ctx := context.Background()
	l, url := newPGLake(t)
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
	appendRows(t, l, testTable, "a", "b")
	if _, err := os.Stat(filepath.Join(l.Root, CatalogFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a lake on PostgreSQL has %s (%v)", CatalogFile, err)
	}
	if got := l.Catalog(); strings.Contains(got, CatalogFile) || !strings.HasPrefix(got, "postgres://") {
		t.Errorf("Catalog() = %q, want the PostgreSQL URL", got)
	}

	again, err := Open(ctx, l.Root)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got := queryIntLake(t, again, `SELECT count(*) FROM t.items`); got != 2 {
		t.Errorf("reopened by its folder: %d rows, want 2", got)
	}

	second := filepath.Join(t.TempDir(), "machine2")
	m2, err := OpenWith(ctx, second, Options{Catalog: url})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if m2.Warehouse() != l.Warehouse() {
		t.Errorf("second folder's warehouse %s, want the recorded %s", m2.Warehouse(), l.Warehouse())
	}
	appendRows(t, m2, testTable, "c")
	if got := queryIntLake(t, l, `SELECT count(*) FROM t.items`); got != 3 {
		t.Errorf("after a commit from the second folder: %d rows, want 3", got)
	}

	if _, err := Recover(ctx, l.Root); err == nil || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Errorf("recover on a lake on PostgreSQL: %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(l.Root, CatalogFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("recover made %s beside a PostgreSQL catalog (%v)", CatalogFile, err)
	}
	if _, err := CreateWith(ctx, t.TempDir(), Options{Catalog: url}); !errors.Is(err, ErrLakeExists) {
		t.Errorf("a second lake in the same catalog: %v, want ErrLakeExists", err)
	}
	if _, err := OpenWith(ctx, t.TempDir(), Options{Catalog: url, Warehouse: t.TempDir()}); err == nil || !strings.Contains(err.Error(), l.Warehouse()) {
		t.Errorf("another --warehouse than the recorded one: %v, want an error naming %s", err, l.Warehouse())
	}
	if _, err := OpenWith(ctx, newLake(t).Root, Options{Catalog: url}); err == nil || !strings.Contains(err.Error(), CatalogFile) {
		t.Errorf("--catalog on a catalog.db lake: %v, want a refusal naming %s", err, CatalogFile)
	}
}

// A lake on PostgreSQL whose warehouse is not DIR/warehouse keeps its files
// there and nothing in DIR but catalog.json.
func TestCreateWith_OtherWarehouse(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	dir, wh := t.TempDir(), filepath.Join(t.TempDir(), "shared-warehouse")
	l, err := CreateWith(ctx, dir, Options{Catalog: url, Warehouse: wh})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
	appendRows(t, l, testTable, "a")
	if got := queryIntLake(t, l, `SELECT count(*) FROM t.items`); got != 1 {
		t.Errorf("%d rows, want 1", got)
	}
	if _, err := os.Stat(filepath.Join(wh, testTable.Namespace+".db", testTable.Table, "data")); err != nil {
		t.Errorf("no data under the warehouse given: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, WarehouseDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DIR/warehouse made although --warehouse was given (%v)", err)
	}
	// User SQL may not write into that warehouse either.
	for _, q := range []string{
		`COPY (SELECT 1) TO '` + filepath.Join(wh, "x.csv") + `'`,
		`COPY (SELECT 1) TO '` + filepath.Join(wh, testTable.Namespace+".db", "y.parquet") + `' (FORMAT parquet)`,
	} {
		if _, err := userQuery(ctx, l, q); !errors.Is(err, ErrUnsafeSQL) {
			t.Errorf("%s: %v, want ErrUnsafeSQL", q, err)
		}
	}
}

// A bad catalog URL or a server that does not answer gives an error that
// names the catalog (never its password) and says what to check.
func TestOpenWith_BadCatalog(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ url, want string }{
		{"mysql://u@host/db", "not a PostgreSQL URL"},
		{"postgres:///no-host", "not a PostgreSQL URL"},
		{"postgres://distill:secret@127.0.0.1:1/db?connect_timeout=5", "catalog postgres://distill@127.0.0.1:1/db"},
	} {
		_, err := OpenWith(ctx, t.TempDir(), Options{Catalog: c.url})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.url, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", c.url, err)
		}
		if _, err := CreateWith(ctx, t.TempDir(), Options{Catalog: c.url}); err == nil {
			t.Errorf("CreateWith %s: no error", c.url)
		}
	}
	if _, err := OpenWith(ctx, t.TempDir(), Options{Catalog: "postgres://distill@127.0.0.1:1/db?connect_timeout=5"}); !errors.Is(err, ErrCatalogUnreachable) {
		t.Errorf("unreachable server: %v, want ErrCatalogUnreachable", err)
	}
	if _, err := OpenWith(ctx, t.TempDir(), Options{Warehouse: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "--catalog") {
		t.Errorf("--warehouse without --catalog: %v", err)
	}
	if os.Getenv(pgtest.Env) == "" {
		return
	}
	// A database that does not exist, on a server that runs.
	url := pgtest.URL(t)
	missing := strings.Replace(url, "/distill_test_", "/distill_missing_", 1)
	if _, err := OpenWith(ctx, t.TempDir(), Options{Catalog: missing}); !errors.Is(err, ErrCatalogUnreachable) || !strings.Contains(err.Error(), "distill_missing_") {
		t.Errorf("missing database: %v, want ErrCatalogUnreachable naming it", err)
	}
	// An empty database holds no lake.
	if _, err := OpenWith(ctx, t.TempDir(), Options{Catalog: url}); !errors.Is(err, ErrNoLake) {
		t.Errorf("empty database: %v, want ErrNoLake", err)
	}
}

// The table lock of a lake on PostgreSQL is a lease: a second handle (as
// another machine has) waits and is told who holds it, TryLockTable
// refuses, and the lease passes on when released.
func TestLease_LockTableWaitsAndSays(t *testing.T) {
	ctx := context.Background()
	l, _ := newPGLake(t)
	other, err := Open(ctx, l.Root)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	held, err := l.LockTable(ctx, testTable, "prefilter", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(l.Root, "locks")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a lake on PostgreSQL made lock files (%v)", err)
	}
	if _, err := other.TryLockTable(testTable, "label"); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "prefilter") {
		t.Errorf("TryLockTable while held: %v, want ErrLocked naming the holder", err)
	}
	told := make(chan string, 1)
	got := make(chan error, 1)
	go func() {
		k, err := other.LockTable(ctx, testTable, "prefilter", func(msg string) { told <- msg })
		if err == nil {
			k.Unlock()
		}
		got <- err
	}()
	select {
	case msg := <-told:
		host, _ := os.Hostname()
		want := "prefilter: waiting for another prefilter run on " + testTable.String() + " (host " + host + ", pid "
		if !strings.HasPrefix(msg, want) {
			t.Errorf("waiting message %q, want it to start %q", msg, want)
		}
	case err := <-got:
		t.Fatalf("second LockTable returned (%v) while the first held the lease", err)
	}
	held.Unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	k, err := other.TryLockTable(testTable, "label")
	if err != nil {
		t.Fatalf("TryLockTable after release: %v", err)
	}
	k.Unlock()
}

// A holder on another machine that is alive keeps its lease past the TTL
// (its heartbeat renews it); killed with SIGKILL, it loses it once the TTL
// has passed, and a waiting process takes it over.
func TestLease_KilledHolderIsTakenOver(t *testing.T) {
	ctx := context.Background()
	const ttl = 2 * time.Second
	t.Setenv(LeaseTTLEnv, ttl.String())
	l, _ := newPGLake(t)
	cmd := leaseHolder(t, l, "another-machine")
	time.Sleep(3 * ttl) // the child renews meanwhile
	if _, err := l.TryLockTable(testTable, "test"); !errors.Is(err, ErrLocked) {
		t.Fatalf("a live holder's lease after 3 TTLs: %v, want ErrLocked (the heartbeat keeps it)", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// The holder said it ran elsewhere: its pid means nothing here, so
	// only the expiry frees its lease.
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	k, err := l.LockTable(wctx, testTable, "test", func(string) {})
	if err != nil {
		t.Fatalf("the killed holder's lease was not taken over: %v", err)
	}
	k.Unlock()
}

// On one machine a holder killed with SIGKILL frees its lease at once, as
// a file lock is freed, long before its TTL (the default 30 s) would.
func TestLease_KilledHolderOnThisMachineFreesAtOnce(t *testing.T) {
	t.Setenv(LeaseTTLEnv, "")
	if machineID() == "" {
		t.Skip("this platform cannot tell whether a holder's process is gone")
	}
	l, _ := newPGLake(t)
	cmd := leaseHolder(t, l, "")
	if _, err := l.TryLockTable(testTable, "test"); !errors.Is(err, ErrLocked) {
		t.Fatalf("while the holder runs: %v, want ErrLocked", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	k, err := l.TryLockTable(testTable, "test")
	if err != nil {
		t.Fatalf("after the holder on this machine was killed: %v, want the lease", err)
	}
	k.Unlock()
}

// leaseHolder starts TestLease_Child holding the table lease of l (as
// machine, when set) and returns once it holds it.
func leaseHolder(t *testing.T, l *Lake, machine string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLease_Child$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LAKE_LEASE_CHILD="+l.Root, LeaseMachineEnv+"="+machine)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "held\n" {
		t.Fatalf("child: %q, %v", line, err)
	}
	return cmd
}

// TestLease_Child is the holder TestLease_KilledHolderIsTakenOver kills: it
// takes the table's lease, says so, and holds it until killed.
func TestLease_Child(t *testing.T) {
	root := os.Getenv("LAKE_LEASE_CHILD")
	if root == "" {
		t.Skip("run by TestLease_KilledHolderIsTakenOver")
	}
	l, err := Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.TryLockTable(testTable, "child"); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("held\n")
	time.Sleep(10 * time.Minute)
}
