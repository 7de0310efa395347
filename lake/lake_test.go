package lake

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var testTable = TableName{Namespace: "t", Table: "items"}

func newLake(t *testing.T) *Lake {
	t.Helper()
	l, err := Create(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// appendRows writes rows (id, n) to the table and commits them.
func appendRows(t testing.TB, l *Lake, name TableName, ids ...string) *Snapshot {
	t.Helper()
	ctx := context.Background()
	sc, err := l.ArrowSchema(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for i, id := range ids {
		for f := range sc.Fields() {
			switch sc.Field(f).Name {
			case "id":
				b.Field(f).(*array.StringBuilder).Append(id)
			case "n":
				b.Field(f).(*array.Int64Builder).Append(int64(i))
			default:
				b.Field(f).AppendNull()
			}
		}
	}
	rec := b.NewRecordBatch()
	p, err := l.Write(ctx, name, sc, one(rec))
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Commit(ctx, Commit{Stage: "test", Params: map[string]int{"rows": len(ids)}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func one(rec arrow.RecordBatch) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) { yield(rec, nil) }
}

func queryInt(t *testing.T, s *Session, q string) int64 {
	t.Helper()
	var n int64
	if err := s.QueryRow(context.Background(), q, &n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestLake_TimeTravelAndTags(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
	s1 := appendRows(t, l, testTable, "a", "b")
	s2 := appendRows(t, l, testTable, "c")
	if s1.Seq != 1 || s2.Seq != 2 {
		t.Fatalf("sequence numbers = %d, %d, want 1, 2", s1.Seq, s2.Seq)
	}
	if s2.TotalRows != 3 || s2.AddedRows != 1 || s2.Stage != "test" || s2.RunID != l.RunID {
		t.Fatalf("snapshot 2 = %+v", s2)
	}
	if _, err := l.Tag(ctx, "first", s1.Ref(), false); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Tag(ctx, "first", s2.Ref(), false); !errors.Is(err, ErrTagExists) {
		t.Fatalf("moving a tag without force: err = %v, want ErrTagExists", err)
	}
	if _, err := l.Tag(ctx, "12", s2.Ref(), false); !errors.Is(err, ErrBadRef) {
		t.Fatalf("all-digit tag: err = %v, want ErrBadRef", err)
	}
	sess, err := l.Session(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	for q, want := range map[string]int64{
		`SELECT count(*) FROM t.items`:         3,
		`SELECT count(*) FROM "t.items@1"`:     2,
		`SELECT count(*) FROM "t.items@2"`:     3,
		`SELECT count(*) FROM "t.items@first"`: 2,
		`SELECT count(*) FROM items`:           3,
		`SELECT count(*) FROM "items@first"`:   2,
		`SELECT sum(n) FROM "t.items@1"`:       1,
	} {
		if got := queryInt(t, sess, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	// Views are defined on first mention; a query that lists tables sees them all.
	if got := queryInt(t, sess, `SELECT count(*) FROM duckdb_views() WHERE schema_name = 't' AND view_name = 'items'`); got != 1 {
		t.Errorf("duckdb_views() lists %d t.items views, want 1", got)
	}
	if _, err := sess.Query(ctx, `SELECT * FROM "t.items@9"`); !errors.Is(err, ErrNoSnapshot) {
		t.Errorf("@9: err = %v, want ErrNoSnapshot", err)
	}
	snaps, err := l.Snapshots(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || len(snaps[0].Tags) != 1 || !snaps[1].Current {
		t.Fatalf("snapshots = %+v", snaps)
	}
}

func TestLake_SchemaEvolutionReadsByFieldID(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}}); err != nil {
		t.Fatal(err)
	}
	appendRows(t, l, testTable, "a", "b")
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
	appendRows(t, l, testTable, "c", "d", "e")
	if err := l.RenameColumn(ctx, testTable, "n", "position"); err != nil {
		t.Fatal(err)
	}
	sess, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if got := queryInt(t, sess, `SELECT count(*) FROM t.items WHERE position IS NULL`); got != 2 {
		t.Errorf("rows from the first schema with the new column NULL = %d, want 2", got)
	}
	if got := queryInt(t, sess, `SELECT sum(position) FROM t.items`); got != 0+1+2 {
		t.Errorf("sum over the renamed column = %d, want 3", got)
	}
	if got := queryInt(t, sess, `SELECT count(*) FROM "t.items@1"`); got != 2 {
		t.Errorf("first snapshot rows = %d, want 2", got)
	}
}

func TestLake_ConcurrentWritersLoseNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := Create(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
	const writers, commits = 4, 8
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lw, err := Open(ctx, dir) // a separate catalog connection, as another process has
			if err != nil {
				t.Error(err)
				return
			}
			defer lw.Close()
			for c := 0; c < commits; c++ {
				appendRows(t, lw, testTable, fmt.Sprintf("w%d-c%d", w, c))
			}
		}()
	}
	wg.Wait()
	sess, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if got := queryInt(t, sess, `SELECT count(DISTINCT id) FROM t.items`); got != writers*commits {
		t.Fatalf("rows = %d, want %d", got, writers*commits)
	}
}

// Many small appends must not pile up manifests or metadata files.
func TestLake_SmallAppendsStayCompact(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
	const appends = 60
	for i := 0; i < appends; i++ {
		appendRows(t, l, testTable, fmt.Sprintf("r%d", i))
	}
	st, err := l.Files(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after %d appends: %+v", appends, st)
	if st.DataFiles != appends {
		t.Errorf("data files = %d, want %d", st.DataFiles, appends)
	}
	if st.Manifests > 17 {
		t.Errorf("%d manifests after %d appends: manifest merging is off", st.Manifests, appends)
	}
	if st.MetadataFiles > 21 {
		t.Errorf("%d metadata.json files after %d appends: old metadata is not cleaned up", st.MetadataFiles, appends)
	}
	if got := queryIntLake(t, l, `SELECT count(*) FROM t.items`); got != appends {
		t.Errorf("rows = %d, want %d", got, appends)
	}
}

func queryIntLake(t *testing.T, l *Lake, q string) int64 {
	t.Helper()
	s, err := l.Session(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return queryInt(t, s, q)
}
