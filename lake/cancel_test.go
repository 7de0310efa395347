package lake

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"
)

// countdown is a context cancelled at its k-th look (Done or Err): trying
// k = 1, 2, … cancels a call at every point where the lake or the
// libraries under it check, which a timer could hit only by luck.
type countdown struct {
	mu       sync.Mutex
	k, n     int
	done     chan struct{}
	canceled bool
}

func newCountdown(k int) *countdown { return &countdown{k: k, done: make(chan struct{})} }

func (c *countdown) look() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if c.n == c.k {
		c.canceled = true
		close(c.done)
	}
	return c.canceled
}

func (c *countdown) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *countdown) Value(any) any               { return nil }
func (c *countdown) Done() <-chan struct{}       { c.look(); return c.done }

func (c *countdown) Err() error {
	if c.look() {
		return context.Canceled
	}
	return nil
}

// fired reports whether the context was cancelled, and how often it was looked at.
func (c *countdown) fired() (bool, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.canceled, c.n
}

// cancelEverywhere runs op with a context cancelled at each of its checks
// in turn (until op runs through without being cancelled) and fails for
// every error that does not match context.Canceled.
func cancelEverywhere(t *testing.T, what string, op func(ctx context.Context) error) {
	t.Helper()
	for k := 1; k < 10000; k++ {
		ctx := newCountdown(k)
		err := op(ctx)
		fired, _ := ctx.fired()
		if !fired {
			if err != nil {
				t.Fatalf("%s, not cancelled: %v", what, err)
			}
			t.Logf("%s: cancelled at each of %d checks", what, k-1)
			return
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("%s cancelled at check %d: got %q, want an error matching context.Canceled", what, k, err)
		}
	}
	t.Fatalf("%s: still cancelled after 10000 checks", what)
}

func TestCtxError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	under := errors.New("sql: transaction has already been committed or rolled back")
	if got := ctxError(ctx, under); got != under {
		t.Errorf("live context: got %v, want the error as it was", got)
	}
	cancel()
	got := ctxError(ctx, ErrNoTable)
	if !errors.Is(got, context.Canceled) || !errors.Is(got, ErrNoTable) {
		t.Errorf("got %v, want it to match context.Canceled and ErrNoTable", got)
	}
	if want := "context canceled: " + ErrNoTable.Error(); got.Error() != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := ctxError(ctx, context.Canceled); got != context.Canceled {
		t.Errorf("got %v, want context.Canceled unwrapped", got)
	}
	if ctxError(ctx, nil) != nil {
		t.Error("nil error: want nil")
	}
}

// TestSession_QueryCanceled interrupts a DuckDB query while it runs: DuckDB
// reports "INTERRUPT Error", which must match context.Canceled.
func TestSession_QueryCanceled(t *testing.T) {
	l := newLake(t)
	s, err := l.Session(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const slow = "SELECT count(*) FROM range(1000000000) a, range(1000) b WHERE a.range + b.range = -1"
	for _, run := range []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Query", func(ctx context.Context) error {
			rows, err := s.Query(ctx, slow)
			if err == nil {
				rows.Close()
			}
			return err
		}},
		{"Exec", func(ctx context.Context) error { _, err := s.Exec(ctx, slow); return err }},
		{"QueryRow", func(ctx context.Context) error { var n int64; return s.QueryRow(ctx, slow, &n) }},
	} {
		t.Run(run.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			err := run.call(ctx)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want an error matching context.Canceled", err)
			}
		})
	}
}

// TestLake_CatalogCanceled cancels catalog calls (create, commit, list,
// load) and a session over them at every check: database/sql rolls back the
// catalog's transaction, which then says "transaction has already been
// committed or rolled back"; every error must match context.Canceled.
func TestLake_CatalogCanceled(t *testing.T) {
	l := newLake(t)
	schema := Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}
	created := 0
	cancelEverywhere(t, "EnsureTable", func(ctx context.Context) error {
		created++
		return l.EnsureTable(ctx, TableName{Namespace: "c", Table: "t" + strconv.Itoa(created)}, schema)
	})
	if err := l.EnsureTable(context.Background(), testTable, schema); err != nil {
		t.Fatal(err)
	}
	appendRows(t, l, testTable, "a", "b")
	cancelEverywhere(t, "Commit", func(ctx context.Context) error {
		sc, err := l.ArrowSchema(ctx, testTable)
		if err != nil {
			return err
		}
		rb := NewRowBuilder(sc)
		rb.String("id", "x")
		rb.Long("n", 1)
		rb.EndRow()
		p, err := l.Write(ctx, testTable, sc, one(rb.Batch()))
		if err != nil {
			return err
		}
		_, err = p.Commit(ctx, Commit{Stage: "test"})
		return err
	})
	cancelEverywhere(t, "Tables", func(ctx context.Context) error { _, err := l.Tables(ctx); return err })
	cancelEverywhere(t, "Session", func(ctx context.Context) error {
		s, err := l.Session(ctx, "")
		if err != nil {
			return err
		}
		defer s.Close()
		var n int64
		return s.QueryRow(ctx, "SELECT count(*) FROM t.items", &n)
	})
}
