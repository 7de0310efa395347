package label_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/pgtest"
	"github.com/distillery/distillery/internal/sample"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/prefilter"
)

// countingOracle is a Gemini server (geminiHandler's wire format) that
// answers after a latency and counts the requests for each prompt (a hash
// of the request body: one article's prompt).
type countingOracle struct {
	*httptest.Server
	mu       sync.Mutex
	asked    map[string]int
	inFlight int
	// first and last are when the first request came and the last answer
	// left.
	first, last time.Time
}

func newCountingOracle(t testing.TB, f *filters.Filter, latency time.Duration, ln net.Listener) *countingOracle {
	o := &countingOracle{asked: map[string]int{}}
	h := geminiHandler(f, nil, new(atomic.Int64))
	o.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		o.mu.Lock()
		o.asked[hex.EncodeToString(sum[:])]++
		o.inFlight++
		if o.first.IsZero() {
			o.first = time.Now()
		}
		o.mu.Unlock()
		defer func() { o.mu.Lock(); o.inFlight--; o.last = time.Now(); o.mu.Unlock() }()
		time.Sleep(latency)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		h.ServeHTTP(w, r)
	}))
	if ln != nil {
		o.Listener.Close()
		o.Listener = ln
	}
	o.Start()
	t.Cleanup(o.Close)
	return o
}

// counts returns the requests made, the prompts asked and those asked more
// than once.
func (o *countingOracle) counts() (requests, prompts, twice int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, n := range o.asked {
		requests += n
		prompts++
		if n > 1 {
			twice++
		}
	}
	return
}

// pgLake builds a lake on a PostgreSQL catalog (a test database of
// DISTILL_TEST_POSTGRES) with n demo articles compressed; it returns its
// catalog URL and warehouse.
func pgLake(t testing.TB, n int) (url, warehouse string, f *filters.Filter) {
	return pgLakeAt(t, n, "")
}

// pgLakeAt is pgLake with the files in warehouse (an s3:// URL; "": the
// creating folder's own).
func pgLakeAt(t testing.TB, n int, warehouse string) (url, wh string, f *filters.Filter) {
	t.Helper()
	ctx := context.Background()
	url = pgtest.URL(t)
	l, err := lake.CreateWith(ctx, t.TempDir(), lake.Options{Catalog: url, Warehouse: warehouse})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := filepath.Join(t.TempDir(), "s.jsonl")
	fh, _ := os.Create(p)
	sample.Write(fh, n, 7)
	fh.Close()
	if _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{p}}); err != nil {
		t.Fatal(err)
	}
	f = testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	if _, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	if _, err := compress.Run(ctx, l, compress.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	return url, l.Warehouse(), f
}

// hosts places worker processes on hosts of their own: as root with `ip`,
// each in a network namespace joined to the test's by a bridge (the oracle
// and a TCP relay to the PostgreSQL server listen on the bridge address);
// otherwise plain processes, and the test says why.
type hosts struct {
	ns    []string // namespace of worker i ("" without namespaces)
	addr  string   // the address the workers reach this process at
	lakes []string // the lake folder of each worker started
	env   []string // more environment for every worker (KEY=VALUE)
	// s3: the warehouse is in S3 (useS3); each worker keeps its object
	// cache in caches[i].
	s3     bool
	caches []string
}

// hostSets numbers the hosts of this process, for unique names.
var hostSets atomic.Int64

func newHosts(t testing.TB, n int) *hosts {
	h := &hosts{ns: make([]string, n), addr: "127.0.0.1"}
	_, err := exec.LookPath("ip")
	if os.Getuid() != 0 || err != nil {
		msg := fmt.Sprintf("workers run as plain processes on this machine, not in network namespaces: that needs root and the ip command (uid %d, ip: %v)", os.Getuid(), err)
		t.Log(msg)
		fmt.Fprintln(os.Stderr, t.Name()+": "+msg)
		return h
	}
	// Names and a subnet of this test process's own, so that tests running
	// at once do not collide.
	seq := hostSets.Add(1) % 50
	id := fmt.Sprintf("%d-%d", os.Getpid()%1000, seq)
	br := "dlbr" + id
	subnet := fmt.Sprintf("10.%d.%d", 200+seq, os.Getpid()%250)
	run := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	t.Cleanup(func() {
		for i, ns := range h.ns {
			if ns != "" {
				run("netns", "del", ns)
				run("link", "del", fmt.Sprintf("dlv%s-%d", id, i)) // gone with its peer, unless a worker still runs there
			}
		}
		run("link", "del", br)
	})
	steps := [][]string{{"link", "add", br, "type", "bridge"}, {"addr", "add", subnet + ".1/24", "dev", br}, {"link", "set", br, "up"}}
	for i := range n {
		ns, veth := fmt.Sprintf("dlw%s-%d", id, i), fmt.Sprintf("dlv%s-%d", id, i)
		h.ns[i] = ns
		steps = append(steps, []string{"netns", "add", ns}, []string{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
			[]string{"link", "set", veth, "master", br, "up"},
			[]string{"-n", ns, "addr", "add", fmt.Sprintf("%s.%d/24", subnet, i+2), "dev", "eth0"},
			[]string{"-n", ns, "link", "set", "eth0", "up"}, []string{"-n", ns, "link", "set", "lo", "up"})
	}
	for _, s := range steps {
		if err := run(s...); err != nil {
			t.Fatalf("network namespaces: %v", err)
		}
	}
	h.addr = subnet + ".1"
	return h
}

// listen listens on the workers' address.
func (h *hosts) listen(t testing.TB) net.Listener {
	ln, err := net.Listen("tcp", h.addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// catalog returns the catalog URL as the workers reach it: through a TCP
// relay on the workers' address when they run in namespaces.
func (h *hosts) catalog(t testing.TB, url string) string {
	if h.addr == "127.0.0.1" {
		return url
	}
	i := strings.Index(url, "@") + 1
	j := i + strings.Index(url[i:], "/")
	return url[:i] + h.relay(t, url[i:j]) + url[j:]
}

// relay listens on the workers' address and copies each connection to
// target (host:port); it returns the address it listens on.
func (h *hosts) relay(t testing.TB, target string) string {
	ln := h.listen(t)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go io.Copy(s, c)
				io.Copy(c, s)
			}()
		}
	}()
	return ln.Addr().String()
}

// worker starts `label` as a child process (TestMain's LABEL_WORKER) in a
// lake folder of its own on host i, sharing only the catalog URL.
func (h *hosts) worker(t testing.TB, i int, catalog, oracleURL string, concurrency int, env ...string) (*exec.Cmd, *strings.Builder) {
	exe, _ := os.Executable()
	args := []string{exe, "-test.run=^$"}
	if h.ns[i] != "" {
		args = append([]string{"ip", "netns", "exec", h.ns[i]}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	dir := t.TempDir()
	h.lakes = append(h.lakes, dir)
	cmd.Env = append(os.Environ(), "LABEL_WORKER=1", "LABEL_LAKE="+dir, "LABEL_CATALOG="+catalog, "LABEL_URL="+oracleURL,
		"LABEL_CONCURRENCY="+strconv.Itoa(concurrency), "GEMINI_API_KEY="+secret,
		"LABEL_FILTER="+filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1"))
	if h.s3 {
		cache := t.TempDir()
		h.caches = append(h.caches, cache)
		cmd.Env = append(cmd.Env, lake.ObjectCacheEnv+"="+cache)
	}
	cmd.Env = append(append(cmd.Env, h.env...), env...) // the last of a name wins
	out := &strings.Builder{}
	cmd.Stdout = out
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A test that fails early leaves no worker running.
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, out
}

// workerMain is a worker process: label.Run in its own lake folder on the
// shared catalog, the result as JSON on stdout.
func workerMain() {
	ctx := context.Background()
	l, err := lake.OpenWith(ctx, os.Getenv("LABEL_LAKE"), lake.Options{Catalog: os.Getenv("LABEL_CATALOG")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	f, err := filters.Load(os.Getenv("LABEL_FILTER"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	g, err := oracle.NewGemini(ctx, "gemini-2.5-flash", os.Getenv("LABEL_URL"), 30*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	conc, _ := strconv.Atoi(os.Getenv("LABEL_CONCURRENCY"))
	opts := label.Options{Filter: f, Oracle: g, Concurrency: conc, BatchSize: 10, FlushEvery: time.Second}
	if os.Getenv("LABEL_DEFAULT_BATCHES") == "1" {
		opts.BatchSize, opts.FlushEvery = 0, 0 // label's own: 500 answers or 30 s
	}
	res, err := label.Run(ctx, l, opts)
	json.NewEncoder(os.Stdout).Encode(res)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func workerResult(t testing.TB, out *strings.Builder) label.Result {
	var r label.Result
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Fatalf("worker result %q: %v", out.String(), err)
	}
	return r
}

// labelCounts reads the labels table of the shared catalog: rows, distinct
// ids, and distinct run ids.
func labelCounts(t testing.TB, url string, f *filters.Filter) (rows, ids, runs int64) {
	l, err := lake.OpenWith(context.Background(), t.TempDir(), lake.Options{Catalog: url})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tbl := spec.Labels.For(f).String()
	return testutil.QueryInt(t, l, "SELECT count(*) FROM "+tbl), testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM "+tbl),
		testutil.QueryInt(t, l, "SELECT count(DISTINCT run_id) FROM "+tbl)
}

// Two workers on two hosts share a PostgreSQL catalog: they split the
// articles, every article is labeled once, the oracle is asked once per
// article, and both did work. With the warehouse in a local folder, and
// (DISTILL_TEST_S3) in a bucket that the workers reach through a relay as
// they reach PostgreSQL.
func TestWorkers_SplitOnce(t *testing.T) {
	forEachWarehouse(t, func(t *testing.T, wh string) {
		url, _, f := pgLakeAt(t, 300, wh)
		h := newHosts(t, 2)
		if wh != "" {
			h.useS3(t)
		}
		orc := newCountingOracle(t, f, 50*time.Millisecond, h.listen(t))
		cat := h.catalog(t, url)
		w1, out1 := h.worker(t, 0, cat, orc.URL, 2)
		w2, out2 := h.worker(t, 1, cat, orc.URL, 2)
		err1, err2 := w1.Wait(), w2.Wait()
		if err1 != nil || err2 != nil {
			t.Fatalf("workers: %v, %v", err1, err2)
		}
		r1, r2 := workerResult(t, out1), workerResult(t, out2)
		rows, ids, runs := labelCounts(t, url, f)
		requests, prompts, twice := orc.counts()
		t.Logf("worker 1 asked %d, worker 2 %d; %d labels of %d articles", r1.Calls, r2.Calls, rows, ids)
		if rows != ids || ids != r1.RowsIn {
			t.Errorf("%d labels of %d articles, want one each of %d", rows, ids, r1.RowsIn)
		}
		if twice != 0 || int64(requests) != ids || requests != prompts {
			t.Errorf("%d requests for %d prompts (%d asked more than once), %d articles", requests, prompts, twice, ids)
		}
		for i, r := range []label.Result{r1, r2} {
			if r.Labeled+r.Elsewhere+r.AlreadyDone != ids || r.DroppedDone != 0 {
				t.Errorf("worker %d: %d labeled, %d by the other, %d already, %d dropped: want %d articles, none dropped", i+1, r.Labeled, r.Elsewhere, r.AlreadyDone, r.DroppedDone, ids)
			}
		}
		if r1.Labeled == 0 || r2.Labeled == 0 || runs != 2 || r1.Labeled+r2.Labeled != ids {
			t.Errorf("both workers must label: %d and %d (of %d), %d runs in the table", r1.Labeled, r2.Labeled, ids, runs)
		}
		if wh != "" {
			h.checkS3(t, url, wh, f, ids)
		}
	})
}

// kill -9 one of two workers mid-run: the other finishes every article,
// taking over the dead one's claims once they expire (its paid answers
// with no call); no prompt is asked twice but those the dead worker had
// claimed and not yet been answered for at the kill (in flight). With the
// warehouse in a folder, and in a bucket (DISTILL_TEST_S3).
func TestWorkers_KillNine(t *testing.T) {
	forEachWarehouse(t, func(t *testing.T, wh string) {
		url, _, f := pgLakeAt(t, 300, wh)
		h := newHosts(t, 2)
		if wh != "" {
			h.useS3(t)
		}
		orc := newCountingOracle(t, f, 100*time.Millisecond, h.listen(t))
		cat := h.catalog(t, url)
		// Two machines as leases see them (no reaping of the dead one's claims
		// by pid): takeover by expiry, after 3 s.
		w1, _ := h.worker(t, 0, cat, orc.URL, 2, lake.LeaseTTLEnv+"=3s", lake.LeaseMachineEnv+"=host-one")
		w2, out2 := h.worker(t, 1, cat, orc.URL, 2, lake.LeaseTTLEnv+"=3s", lake.LeaseMachineEnv+"=host-two")
		deadline := time.Now().Add(60 * time.Second)
		for {
			// Some of worker 1's answers are committed, some paid and not.
			if n, _, _ := orc.counts(); n >= 40 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		w1.Process.Signal(syscall.SIGKILL)
		w1.Wait()
		// Bytes worker 1 sent before the kill may still be in the relay to
		// PostgreSQL: let them land before its claims are counted.
		time.Sleep(time.Second)
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var inFlight, paidUncommitted int
		// Worker 1's live claims: with an answer stored (taken over, no call)
		// or without (in flight: asked, not answered, or about to be asked).
		if err := db.QueryRow(`SELECT count(*) FILTER (WHERE paid IS NULL), count(*) FILTER (WHERE paid IS NOT NULL)
			FROM distill_claims WHERE done_at IS NULL AND owner LIKE 'host-one|%'`).Scan(&inFlight, &paidUncommitted); err != nil {
			t.Fatal(err)
		}
		if err := w2.Wait(); err != nil {
			t.Fatalf("worker 2: %v", err)
		}
		r2 := workerResult(t, out2)
		rows, ids, runs := labelCounts(t, url, f)
		requests, prompts, twice := orc.counts()
		t.Logf("at the kill worker 1 held %d claims in flight and %d paid, uncommitted; worker 2 took %d over; %d requests for %d prompts, %d asked twice",
			inFlight, paidUncommitted, r2.TakenOver, requests, prompts, twice)
		if rows != ids || ids != r2.RowsIn {
			t.Errorf("%d labels of %d articles, want one each of %d", rows, ids, r2.RowsIn)
		}
		if twice > inFlight || requests-prompts != twice || requests > int(ids)+inFlight {
			t.Errorf("%d requests for %d prompts, %d asked twice: only the %d in flight at the kill may be", requests, prompts, twice, inFlight)
		}
		// The dead worker's last writes may still be on their way through
		// the relay when the claims are read: a claim counted in flight may
		// get its paid answer just after, and be taken over too.
		if r2.TakenOver < int64(paidUncommitted) || r2.TakenOver > int64(paidUncommitted+inFlight) || r2.Recovered < r2.TakenOver {
			t.Errorf("worker 2 took over %d paid answers, the dead worker's claims held %d (and %d in flight)", r2.TakenOver, paidUncommitted, inFlight)
		}
		// Worker 1 asked for some (committed by it, or by worker 2 from its
		// claims), worker 2 for the rest.
		if r2.Labeled == 0 || int64(requests) <= r2.Calls {
			t.Errorf("both workers must have asked: %d requests, worker 2 asked %d (result %+v), %d runs in the table", requests, r2.Calls, r2, runs)
		}
		if wh != "" {
			h.checkS3(t, url, wh, f, ids)
		}
	})
}

// BenchmarkWorkers measures labeling throughput (articles/s, wall clock
// from the workers' start to the last one's exit) of 1 and 2 workers on a
// PostgreSQL catalog against an oracle that answers after 200 ms, each
// worker asking at most 4 at a time:
//
//	go test -tags duckdb_arrow -run '^$' -bench Workers -benchtime 1x ./stages/label/
//
// articles/s counts from the workers' start to their exit (start-up, the
// plan and the last commit included), oracle-articles/s from the first
// request to the last answer. batch=10 commits every 10 answers (as the
// tests do), batch=default label's own 500 answers or 30 s. The store=s3 cases
// keep the lake's files in the bucket of DISTILL_TEST_S3 (skipped without
// it), each worker reaching it through a relay with an object cache of its
// own.
func BenchmarkWorkers(b *testing.B) {
	for _, bc := range []struct {
		name string
		n    int
		env  string
		s3   bool
	}{{"workers=1/batch=10", 1, "", false}, {"workers=2/batch=10", 2, "", false},
		{"workers=1/batch=default", 1, "LABEL_DEFAULT_BATCHES=1", false}, {"workers=2/batch=default", 2, "LABEL_DEFAULT_BATCHES=1", false},
		{"workers=1/batch=10/store=s3", 1, "", true}, {"workers=2/batch=10/store=s3", 2, "", true},
		{"workers=1/batch=default/store=s3", 1, "LABEL_DEFAULT_BATCHES=1", true}, {"workers=2/batch=default/store=s3", 2, "LABEL_DEFAULT_BATCHES=1", true}} {
		n := bc.n
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				wh := ""
				if bc.s3 {
					wh = s3Warehouse(b)
				}
				url, _, f := pgLakeAt(b, 1000, wh)
				h := newHosts(b, n)
				if bc.s3 {
					h.useS3(b)
				}
				orc := newCountingOracle(b, f, 200*time.Millisecond, h.listen(b))
				cat := h.catalog(b, url)
				b.StartTimer()
				start := time.Now()
				var cmds []*exec.Cmd
				for i := range n {
					cmd, _ := h.worker(b, i, cat, orc.URL, 4, bc.env)
					cmds = append(cmds, cmd)
				}
				for _, cmd := range cmds {
					if err := cmd.Wait(); err != nil {
						b.Fatal(err)
					}
				}
				secs := time.Since(start).Seconds()
				b.StopTimer()
				requests, prompts, twice := orc.counts()
				if twice != 0 {
					b.Fatalf("%d prompts asked twice", twice)
				}
				b.ReportMetric(float64(prompts)/secs, "articles/s")
				b.ReportMetric(float64(prompts)/orc.last.Sub(orc.first).Seconds(), "oracle-articles/s")
				b.ReportMetric(float64(requests), "requests")
			}
		})
	}
}

// On a shared catalog a second run in the same lake folder is still
// refused: the journal is the folder's.
func TestWorkers_SameFolderRefused(t *testing.T) {
	ctx := context.Background()
	url, _, f := pgLake(t, 300)
	dir := t.TempDir()
	open := func() *lake.Lake {
		l, err := lake.OpenWith(ctx, dir, lake.Options{Catalog: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}
	l1, l2 := open(), open()
	orc := newCountingOracle(t, f, 100*time.Millisecond, nil)
	g := gemini(t, orc.URL)
	done := make(chan error, 1)
	go func() {
		_, err := label.Run(ctx, l1, label.Options{Filter: f, Oracle: g, Concurrency: 2})
		done <- err
	}()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if n, _, _ := orc.counts(); n > 0 {
			break
		}
	}
	_, err := label.Run(ctx, l2, label.Options{Filter: f, Oracle: g, Concurrency: 2})
	if !errors.Is(err, label.ErrBusy) {
		t.Errorf("a second run in the same folder: %v, want ErrBusy", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// forEachWarehouse runs fn as subtests: "folder" with the files in the
// creating lake's folder, and "s3" with them under a prefix of their own in
// the bucket of DISTILL_TEST_S3 (ENDPOINT|BUCKET|KEY|SECRET; .ci/s3.sh
// starts versitygw and prints it), which skips without it. The test
// process reaches the server at ENDPOINT; the workers get their endpoint
// from useS3.
func forEachWarehouse(t *testing.T, fn func(t *testing.T, warehouse string)) {
	t.Run("folder", func(t *testing.T) { fn(t, "") })
	t.Run("s3", func(t *testing.T) { fn(t, s3Warehouse(t)) })
}

// s3Warehouse sets this test's AWS environment for the server in
// DISTILL_TEST_S3 and an object cache of its own, and returns a warehouse
// URL no other test uses; without the variable the test skips.
func s3Warehouse(t testing.TB) string {
	t.Helper()
	v := os.Getenv(s3TestEnv)
	if v == "" {
		t.Skipf("no S3 server: set %s to ENDPOINT|BUCKET|KEY|SECRET (.ci/s3.sh starts versitygw and prints it) to run this test on a bucket", s3TestEnv)
	}
	p := strings.Split(v, "|")
	if len(p) != 4 {
		t.Fatalf("%s=%q: want ENDPOINT|BUCKET|KEY|SECRET", s3TestEnv, v)
	}
	t.Setenv("AWS_ENDPOINT_URL_S3", p[0])
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ACCESS_KEY_ID", p[2])
	t.Setenv("AWS_SECRET_ACCESS_KEY", p[3])
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv(lake.ObjectCacheEnv, t.TempDir())
	return "s3://" + p[1] + "/workers-" + lake.NewRunID()
}

const s3TestEnv = "DISTILL_TEST_S3"

// useS3 has the workers reach the S3 server of this test's environment
// (s3Warehouse) through a relay on the workers' address, as they reach
// PostgreSQL, each with an object cache of its own.
func (h *hosts) useS3(t testing.TB) {
	h.s3 = true
	if h.addr == "127.0.0.1" {
		return
	}
	ep, err := neturl.Parse(os.Getenv("AWS_ENDPOINT_URL_S3"))
	if err != nil || ep.Host == "" {
		t.Fatalf("AWS_ENDPOINT_URL_S3=%q: want http://HOST:PORT", os.Getenv("AWS_ENDPOINT_URL_S3"))
	}
	h.env = append(h.env, "AWS_ENDPOINT_URL_S3="+ep.Scheme+"://"+h.relay(t, ep.Host))
}

// checkS3 checks a run whose warehouse is in S3: nothing of the warehouse
// in the workers' lake folders (only the pointer, the journal and the
// locks), each read the articles' data files into its own cache, and
// iceberg-go, reading the labels straight from the bucket (not through
// DuckDB and a cache), finds one label for each of the ids articles.
func (h *hosts) checkS3(t testing.TB, url, wh string, f *filters.Filter, ids int64) {
	t.Helper()
	ctx := context.Background()
	for i, dir := range h.lakes {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(dir, p)
			top := strings.SplitN(filepath.ToSlash(rel), "/", 2)[0]
			if rel != lake.PointerFile && top != "journal" && top != "locks" {
				t.Errorf("worker %d: local file %s in a lake whose warehouse is %s", i+1, rel, wh)
			}
			return nil
		})
	}
	for i, dir := range h.caches {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".parquet") {
				t.Errorf("worker %d: %s in its object cache, want data files only", i+1, e.Name())
			}
		}
		// The worker read the compressed articles through DuckDB: from
		// copies in its own cache.
		if len(ents) == 0 {
			t.Errorf("worker %d: its object cache %s is empty: it read the articles from somewhere else", i+1, dir)
		}
		t.Logf("worker %d: %d data files in its object cache", i+1, len(ents))
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat, err := sqlcat.NewCatalog("distill", db, sqlcat.Postgres, iceberg.Properties{"warehouse": wh,
		icebergio.S3Region: "us-east-1", icebergio.S3EndpointURL: os.Getenv("AWS_ENDPOINT_URL_S3"),
		icebergio.S3AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), icebergio.S3SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		"init_catalog_tables": "false"})
	if err != nil {
		t.Fatal(err)
	}
	name := spec.Labels.For(f)
	tbl, err := cat.LoadTable(ctx, catalog.ToIdentifier(name.Namespace, name.Table))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tbl.Location(), wh+"/") {
		t.Errorf("table location %s not under %s", tbl.Location(), wh)
	}
	at, err := tbl.Scan(table.WithSelectedFields("id")).ToArrowTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	seen := map[string]int{}
	for _, col := range at.Column(0).Data().Chunks() {
		s := col.(*array.String)
		for j := range s.Len() {
			seen[s.Value(j)]++
		}
	}
	if at.NumRows() != ids || int64(len(seen)) != ids {
		t.Errorf("iceberg-go from the bucket: %d labels of %d articles, want one each of %d", at.NumRows(), len(seen), ids)
	}
}
