package lake

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	icebergio "github.com/apache/iceberg-go/io"

	"github.com/distillery/distillery/internal/pgtest"
)

// S3TestEnv names the S3-compatible server the object-storage tests use:
// ENDPOINT|BUCKET|ACCESS_KEY|SECRET_KEY (.ci/s3.sh starts versitygw and
// prints it; .ci/run exports it).
const S3TestEnv = "DISTILL_TEST_S3"

type s3Server struct{ endpoint, bucket, key, secret string }

// s3Test sets this test's AWS environment for the server in S3TestEnv and a
// cache folder of its own, and returns a warehouse URL no other test uses.
// Without S3TestEnv the test skips and says why.
func s3Test(t *testing.T) (s3Server, string) {
	t.Helper()
	v := os.Getenv(S3TestEnv)
	if v == "" {
		t.Skipf("no S3 server: set %s to ENDPOINT|BUCKET|KEY|SECRET (.ci/s3.sh starts versitygw and prints it) to run this test", S3TestEnv)
	}
	p := strings.Split(v, "|")
	if len(p) != 4 {
		t.Fatalf("%s=%q: want ENDPOINT|BUCKET|KEY|SECRET", S3TestEnv, v)
	}
	s := s3Server{p[0], p[1], p[2], p[3]}
	t.Setenv("AWS_ENDPOINT_URL_S3", s.endpoint)
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ACCESS_KEY_ID", s.key)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s.secret)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv(ObjectCacheEnv, filepath.Join(t.TempDir(), "cache"))
	return s, "s3://" + s.bucket + "/" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "-" + NewRunID()
}

// newS3Lake creates a lake on a new PostgreSQL database with its warehouse
// in the test's bucket.
func newS3Lake(t *testing.T) (*Lake, s3Server, string, string) {
	t.Helper()
	srv, wh := s3Test(t)
	url := pgtest.URL(t)
	l, err := CreateWith(context.Background(), filepath.Join(t.TempDir(), "lake"), Options{Catalog: url, Warehouse: wh})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, srv, url, wh
}

// A lake on PostgreSQL with its files in S3: written, read back with time
// travel, read by iceberg-go directly from the bucket (a second reader),
// with nothing of the warehouse on local disk but the object cache and no
// credential in the catalog or the metadata.
func TestS3_Warehouse(t *testing.T) {
	ctx := context.Background()
	l, srv, url, wh := newS3Lake(t)
	// User SQL may write outside the lake, before the object cache exists too.
	copyOut := `COPY (SELECT 1 AS x) TO '` + filepath.Join(t.TempDir(), "out.csv") + `'`
	if _, err := userQuery(ctx, l, copyOut); err != nil {
		t.Errorf("%s: %v", copyOut, err)
	}
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
	appendRows(t, l, testTable, "a", "b")
	appendRows(t, l, testTable, "c")
	if got := queryIntLake(t, l, `SELECT count(*) FROM t.items`); got != 3 {
		t.Errorf("current: %d rows, want 3", got)
	}
	if got := queryIntLake(t, l, `SELECT count(*) FROM "t.items@1"`); got != 2 {
		t.Errorf("time travel to @1: %d rows, want 2", got)
	}
	if _, err := l.Tag(ctx, "first", Ref{TableName: testTable, At: "1"}, false); err != nil {
		t.Fatal(err)
	}
	if got := queryIntLake(t, l, `SELECT count(*) FROM "t.items@first"`); got != 2 {
		t.Errorf("tag first: %d rows, want 2", got)
	}
	if !strings.HasPrefix(l.Warehouse(), "s3://") {
		t.Errorf("Warehouse() = %q", l.Warehouse())
	}

	// Reopened by its folder alone.
	again, err := Open(ctx, l.Root)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got := queryIntLake(t, again, `SELECT sum(n) FROM t.items`); got != 0+1+0 {
		t.Errorf("reopened: sum(n) = %d, want 1", got)
	}

	// Nothing but catalog.json (and lock folders) in the lake folder; the
	// data files' copies in the cache only.
	_ = filepath.WalkDir(l.Root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(p) != PointerFile {
			t.Errorf("local file %s in a lake whose warehouse is %s", p, wh)
		}
		return nil
	})
	cache, _ := ObjectCacheDir()
	ents, _ := os.ReadDir(cache)
	if len(ents) != 2 {
		t.Fatalf("object cache holds %d files, want the 2 data files", len(ents))
	}
	// User SQL may not write into the cache (a view would read the file).
	q := `COPY (SELECT 'x' AS id, 0::BIGINT AS n) TO '` + filepath.Join(cache, ents[0].Name()) + `' (FORMAT parquet)`
	if _, err := userQuery(ctx, l, q); !errors.Is(err, ErrUnsafeSQL) || !strings.Contains(err.Error(), "lake") {
		t.Errorf("%s: %v, want ErrUnsafeSQL", q, err)
	}
	// Elsewhere it may (the s3:// warehouse is no local folder to stat).
	q = `COPY (SELECT 1 AS x) TO '` + filepath.Join(t.TempDir(), "out.csv") + `'`
	if _, err := userQuery(ctx, l, q); err != nil {
		t.Errorf("%s: %v", q, err)
	}

	// iceberg-go reads the table straight from the bucket.
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat, err := sqlcat.NewCatalog("distill", db, sqlcat.Postgres, iceberg.Properties{"warehouse": wh,
		icebergio.S3Region: "us-east-1", icebergio.S3EndpointURL: srv.endpoint,
		icebergio.S3AccessKeyID: srv.key, icebergio.S3SecretAccessKey: srv.secret, "init_catalog_tables": "false"})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := cat.LoadTable(ctx, catalog.ToIdentifier("t", "items"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tbl.Location(), wh+"/") {
		t.Errorf("table location %s not under %s", tbl.Location(), wh)
	}
	at, err := tbl.Scan().ToArrowTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	if at.NumRows() != 3 {
		t.Errorf("iceberg-go from S3: %d rows, want 3", at.NumRows())
	}

	// No credential anywhere it could leak from.
	var dump string
	if err := db.QueryRowContext(ctx, `SELECT coalesce(string_agg(t::text, ' '), '') FROM (SELECT * FROM iceberg_tables) t`).Scan(&dump); err != nil {
		t.Fatal(err)
	}
	var props string
	if err := db.QueryRowContext(ctx, `SELECT coalesce(string_agg(key || '=' || value, ' '), '') FROM `+lakePropsTable).Scan(&props); err != nil {
		t.Fatal(err)
	}
	fsys, err := tbl.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Open(tbl.MetadataLocation())
	if err != nil {
		t.Fatal(err)
	}
	meta := make([]byte, 1<<20)
	n, _ := f.Read(meta)
	f.Close()
	pointer, _ := os.ReadFile(filepath.Join(l.Root, PointerFile))
	for what, s := range map[string]string{"iceberg_tables": dump, lakePropsTable: props, "metadata.json": string(meta[:n]), PointerFile: string(pointer)} {
		if strings.Contains(s, srv.secret) || strings.Contains(s, srv.key) {
			t.Errorf("%s holds the S3 credentials: %s", what, s)
		}
	}
}

// A write that is discarded deletes its objects, and so does expire,
// through the IO.
func TestS3_DiscardAndExpireDeleteObjects(t *testing.T) {
	ctx := context.Background()
	l, _, _, _ := newS3Lake(t)
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
	appendRows(t, l, testTable, "a")
	tbl, err := l.loadTable(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n, err := countObjects(ctx, tbl, tbl.Location()+"/data", ".parquet")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := count(); got != 1 {
		t.Fatalf("%d data objects after one append, want 1", got)
	}
	p := pendingRows(t, l, testTable, "b", "c")
	if got := count(); got != 2 {
		t.Fatalf("%d data objects with a pending write, want 2", got)
	}
	p.Discard()
	if got := count(); got != 1 {
		t.Errorf("%d data objects after Discard, want 1 (the pending one deleted)", got)
	}

	// Expire deletes through the IO too: an orphan (a write never
	// committed) and the file of an expired snapshot that a replace dropped.
	pendingRows(t, l, testTable, "orphan")
	p = pendingRows(t, l, testTable, "x")
	if _, err := p.Commit(ctx, Commit{Stage: "test", Replace: true}); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 3 {
		t.Fatalf("%d data objects before expire, want 3 (a, orphan, x)", got)
	}
	res, err := l.Expire(ctx, testTable, ExpireOptions{OlderThan: time.Nanosecond, Grace: -1})
	if err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 1 || res.FilesDeleted < 2 {
		t.Errorf("after expire: %d data objects (want 1: x), %d files deleted (want at least 2)", got, res.FilesDeleted)
	}
	if got := queryIntLake(t, l, `SELECT count(*) FROM t.items WHERE id = 'x'`); got != 1 {
		t.Errorf("after expire: %d rows x, want 1", got)
	}
}

// Wrong credentials, an endpoint where nothing listens or no region: a
// clear error naming the warehouse and what to check. A prefix that holds
// another lake's files is refused.
func TestS3_BadEndpointOrCredentials(t *testing.T) {
	ctx := context.Background()
	srv, wh := s3Test(t)
	url := pgtest.URL(t)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
	_, err := CreateWith(ctx, filepath.Join(t.TempDir(), "lake"), Options{Catalog: url, Warehouse: wh})
	if err == nil || !strings.Contains(err.Error(), wh) || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY") {
		t.Errorf("wrong secret: %v, want an error naming %s and the keys", err, wh)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	t.Setenv("AWS_ENDPOINT_URL_S3", dead)
	_, err = CreateWith(ctx, filepath.Join(t.TempDir(), "lake"), Options{Catalog: url, Warehouse: wh})
	if err == nil || !strings.Contains(err.Error(), wh) || !strings.Contains(err.Error(), dead) {
		t.Errorf("dead endpoint: %v, want an error naming %s and %s", err, wh, dead)
	}
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	if _, err := CreateWith(ctx, filepath.Join(t.TempDir(), "lake"), Options{Catalog: url, Warehouse: wh}); err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("no region: %v, want an error asking for AWS_REGION", err)
	}
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.endpoint)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.secret)
	l, err := CreateWith(ctx, filepath.Join(t.TempDir(), "lake"), Options{Catalog: url, Warehouse: wh})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := CreateWith(ctx, filepath.Join(t.TempDir(), "lake"), Options{Catalog: pgtest.URL(t), Warehouse: wh}); !errors.Is(err, ErrLakeExists) || !strings.Contains(err.Error(), wh) {
		t.Errorf("a new lake on a prefix that holds another's files: %v, want ErrLakeExists naming %s", err, wh)
	}
	if _, err := CreateWith(ctx, t.TempDir(), Options{Warehouse: wh}); err == nil || !strings.Contains(err.Error(), "--catalog") {
		t.Errorf("s3 warehouse without --catalog: %v", err)
	}
}

// Two processes reading the same table at once, both starting with an
// empty shared object cache, fetch into it safely: both read every row and
// the cache ends with one whole copy per data file and no temporary file.
func TestS3_TwoProcessesShareTheCache(t *testing.T) {
	ctx := context.Background()
	l, _, _, _ := newS3Lake(t)
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		appendRows(t, l, testTable, fmt.Sprint("a", i), fmt.Sprint("b", i))
	}
	var cmds []*exec.Cmd
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestS3_CacheChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "DISTILL_S3_CHILD_LAKE="+l.Root)
		cmds = append(cmds, cmd)
	}
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	done := make(chan int)
	for i, c := range cmds {
		go func() { outs[i], errs[i] = c.CombinedOutput(); done <- i }()
	}
	<-done
	<-done
	for i := range cmds {
		if errs[i] != nil || !strings.Contains(string(outs[i]), "rows=12") {
			t.Errorf("reader %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	cache, _ := ObjectCacheDir()
	ents, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".parquet") {
			t.Errorf("cache holds %s (a temporary file left behind)", e.Name())
		}
	}
	if len(ents) != 6 {
		t.Errorf("cache holds %d files, want 6", len(ents))
	}
}

// TestS3_CacheChild is one reader of TestS3_TwoProcessesShareTheCache.
func TestS3_CacheChild(t *testing.T) {
	root := os.Getenv("DISTILL_S3_CHILD_LAKE")
	if root == "" {
		t.Skip("child of TestS3_TwoProcessesShareTheCache")
	}
	l, err := Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fmt.Printf("rows=%d\n", queryIntLake(t, l, `SELECT count(*) FROM t.items`))
}

// The cache keeps its size: the least recently used copies go first, never
// one in use.
func TestObjectCache_Evicts(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(ObjectCacheMaxEnv, "250")
	old := map[string]bool{}
	for i, age := range []int{5, 4, 3, 2} {
		p := filepath.Join(dir, fmt.Sprintf("f%d.parquet", i))
		if err := os.WriteFile(p, make([]byte, 100), 0o644); err != nil {
			t.Fatal(err)
		}
		tm := fsTime(age)
		if err := os.Chtimes(p, tm, tm); err != nil {
			t.Fatal(err)
		}
		old[p] = true
	}
	need := map[string]bool{filepath.Join(dir, "f0.parquet"): true}
	if err := evictObjects(dir, need); err != nil {
		t.Fatal(err)
	}
	var left []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if strings.Join(left, " ") != "f0.parquet f3.parquet" {
		t.Errorf("left %v, want f0 (in use) and f3 (newest)", left)
	}
	t.Setenv(ObjectCacheMaxEnv, "lots")
	if err := evictObjects(dir, nil); err == nil || !strings.Contains(err.Error(), ObjectCacheMaxEnv) {
		t.Errorf("bad limit: %v", err)
	}
}

func fsTime(hoursPastKeep int) time.Time {
	return time.Now().Add(-ObjectCacheKeep - time.Duration(hoursPastKeep)*time.Hour)
}

// pendingRows writes rows (id) to the table without committing them.
func pendingRows(t *testing.T, l *Lake, name TableName, ids ...string) *Pending {
	t.Helper()
	ctx := context.Background()
	sc, err := l.ArrowSchema(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for _, id := range ids {
		for f := range sc.Fields() {
			if sc.Field(f).Name == "id" {
				b.Field(f).(*array.StringBuilder).Append(id)
			} else {
				b.Field(f).AppendNull()
			}
		}
	}
	p, err := l.Write(ctx, name, sc, one(b.NewRecordBatch()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// BenchmarkS3_ViewColdWarm times a count over a table of 8 data files of
// about 5 MB each, on a PostgreSQL catalog: in S3 with an empty object
// cache (the view fetches every file), in S3 with a warm one, and in a
// local warehouse. Each sub-benchmark's table is written first (the write
// times are logged). Needs DISTILL_TEST_S3 and DISTILL_TEST_POSTGRES:
//
//	go test -tags duckdb_arrow -run '^$' -bench BenchmarkS3_ViewColdWarm -benchtime 5x -v ./lake/
func BenchmarkS3_ViewColdWarm(b *testing.B) {
	ctx := context.Background()
	srv := os.Getenv(S3TestEnv)
	if srv == "" || os.Getenv(pgtest.Env) == "" {
		b.Skipf("needs %s and %s", S3TestEnv, pgtest.Env)
	}
	p := strings.Split(srv, "|")
	b.Setenv("AWS_ENDPOINT_URL_S3", p[0])
	b.Setenv("AWS_ACCESS_KEY_ID", p[2])
	b.Setenv("AWS_SECRET_ACCESS_KEY", p[3])
	b.Setenv("AWS_REGION", "us-east-1")
	cache := filepath.Join(b.TempDir(), "cache")
	b.Setenv(ObjectCacheEnv, cache)
	lakes := map[string]*Lake{}
	for _, kind := range []string{"s3", "local"} {
		wh := filepath.Join(b.TempDir(), "warehouse")
		if kind == "s3" {
			wh = "s3://" + p[1] + "/bench-" + NewRunID()
		}
		l, err := CreateWith(ctx, filepath.Join(b.TempDir(), "lake"), Options{Catalog: pgtest.URL(b), Warehouse: wh})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for f := range 8 {
			ids := make([]string, 40000)
			for i := range ids {
				var r [120]byte
				_, _ = rand.Read(r[:])
				ids[i] = fmt.Sprintf("%d-%d-%x", f, i, r) // ~250 bytes, half of them random
			}
			appendRows(b, l, testTable, ids...)
		}
		b.Logf("%s: 8 appends of 40,000 rows in %v", kind, time.Since(start))
		lakes[kind] = l
	}
	count := func(l *Lake) {
		s, err := l.Session(ctx, "")
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		var n int64
		if err := s.QueryRow(ctx, `SELECT count(*) FROM t.items WHERE id LIKE '%ab%'`, &n); err != nil || n == 0 {
			b.Fatalf("count: %d, %v", n, err)
		}
	}
	for _, name := range []string{"s3-cold", "s3-warm", "local"} {
		l := lakes[strings.TrimSuffix(strings.TrimSuffix(name, "-cold"), "-warm")]
		b.Run(name, func(b *testing.B) {
			count(l)
			for b.Loop() {
				if name == "s3-cold" {
					b.StopTimer()
					os.RemoveAll(cache)
					b.StartTimer()
				}
				count(l)
			}
		})
	}
	var size int64
	ents, _ := os.ReadDir(cache)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			size += fi.Size()
		}
	}
	b.Logf("cache: %d files, %d bytes", len(ents), size)
}

// The S3 IO records what it writes, so that a write that fails for good
// removes exactly its own objects (as recordingFS does on disk).
func TestS3_RecorderRemovesItsObjects(t *testing.T) {
	ctx := context.Background()
	l, _, _, wh := newS3Lake(t)
	other := wh + "/keep/other.bin"
	fsys, err := icebergio.LoadFS(ctx, l.shared.ioProps, wh)
	if err != nil {
		t.Fatal(err)
	}
	if err := fsys.(icebergio.WriteFileIO).WriteFile(other, []byte("another writer's")); err != nil {
		t.Fatal(err)
	}
	rctx, rec := withRecorder(ctx)
	rfs, err := icebergio.LoadFS(rctx, l.shared.ioProps, wh)
	if err != nil {
		t.Fatal(err)
	}
	mine := []string{wh + "/mine/a.bin", wh + "/mine/b.bin"}
	if err := rfs.(icebergio.WriteFileIO).WriteFile(mine[0], []byte("a")); err != nil {
		t.Fatal(err)
	}
	w, err := rfs.(icebergio.WriteFileIO).Create(mine[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := rec.created(); strings.Join(got, " ") != strings.Join(mine, " ") {
		t.Fatalf("recorded %v, want %v", got, mine)
	}
	rec.removeExcept(nil)
	for _, p := range mine {
		if f, err := fsys.Open(p); err == nil {
			f.Close()
			t.Errorf("%s still exists after removeExcept", p)
		}
	}
	f, err := fsys.Open(other)
	if err != nil {
		t.Errorf("another writer's object is gone: %v", err)
	} else {
		f.Close()
	}
}
