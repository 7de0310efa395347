package label_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/sample"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/prefilter"
)

const secret = "AIza-test-SECRET-key-0123456789"

// lakeWithCompressed builds a lake with n demo articles prefiltered and compressed.
func lakeWithCompressed(t testing.TB, n int) (*lake.Lake, *filters.Filter) {
	t.Helper()
	ctx := context.Background()
	l := testutil.NewLake(t)
	p := filepath.Join(t.TempDir(), "s.jsonl")
	fh, _ := os.Create(p)
	sample.Write(fh, n, 7)
	fh.Close()
	if _, err := ingest.Run(ctx, l, ingest.Options{Paths: []string{p}}); err != nil {
		t.Fatal(err)
	}
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	if _, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	if _, err := compress.Run(ctx, l, compress.Options{Filter: f}); err != nil {
		t.Fatal(err)
	}
	return l, f
}

func passed(t *testing.T, l *lake.Lake, f *filters.Filter) int64 {
	return testutil.QueryInt(t, l, "SELECT count(*) FROM "+spec.Compressed.For(f).String())
}

// fakeGemini answers generateContent like the real API; fail decides, per
// request number (from 1), an error status and body instead.
func fakeGemini(t *testing.T, f *filters.Filter, fail func(n int64) (int, string)) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(geminiHandler(f, fail, &n))
	t.Cleanup(srv.Close)
	return srv, &n
}

// slowGemini is fakeGemini answering every call after d.
func slowGemini(t *testing.T, f *filters.Filter, d time.Duration) (*httptest.Server, *atomic.Int64) {
	return fakeGemini(t, f, func(int64) (int, string) {
		time.Sleep(d)
		return 0, ""
	})
}

func geminiHandler(f *filters.Filter, fail func(n int64) (int, string), n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := n.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if fail != nil {
			if status, body := fail(k); status != 0 {
				w.WriteHeader(status)
				io.WriteString(w, body)
				return
			}
		}
		var parts []string
		for i, d := range f.Dimensions {
			parts = append(parts, fmt.Sprintf(`\"%s\": {\"score\": %d, \"evidence\": \"e\"}`, d.Name, (int(k)+i)%11))
		}
		text := "{" + strings.Join(parts, ", ") + `, \"content_type\": \"deployment_news\"}`
		fmt.Fprintf(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":"%s"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1000,"candidatesTokenCount":200}}`, text)
	})
}

func gemini(t *testing.T, url string) oracle.Oracle {
	t.Setenv("GEMINI_API_KEY", secret)
	g, err := oracle.NewGemini(context.Background(), "gemini-2.5-flash", url, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRun_KeywordsOracle(t *testing.T) {
	l, f := lakeWithCompressed(t, 120)
	res, err := label.Run(context.Background(), l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f)})
	if err != nil {
		t.Fatal(err)
	}
	n := passed(t, l, f)
	if res.Labeled != n || res.Cost != 0 || res.Failed != 0 {
		t.Fatalf("result %+v, want %d labels at no cost", res, n)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.labels WHERE oracle = 'keywords' AND model LIKE 'keywords%' AND tier IS NOT NULL AND deployment_stage BETWEEN 0 AND 10"); got != n {
		t.Errorf("%d well-formed keyword labels, want %d", got, n)
	}
	// Deployed articles should outscore lab and vaporware ones on deployment_stage.
	if got := testutil.QueryInt(t, l, `SELECT count(*) FROM sustainability_tech_deployment.labels l JOIN corpus.raw r USING (id)
		WHERE r.extra->>'sample_kind' = 'deployed' AND l.deployment_stage >= 5`); got == 0 {
		t.Error("no deployed article scores 5+ on deployment_stage")
	}
}

// A dimension with no keywords would score 0 on every article under the
// keywords oracle: the run says so.
func TestRun_KeywordsOracleWarnsOfDimensionsWithoutKeywords(t *testing.T) {
	l, f := lakeWithCompressed(t, 20)
	res, err := label.Run(context.Background(), l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f), Estimate: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, "no keywords") {
			t.Errorf("the shipped filter has keywords for every dimension, yet: %s", w)
		}
	}
	bare := *f
	bare.Dimensions = slices.Clone(f.Dimensions)
	bare.Dimensions[1].Keywords, bare.Dimensions[1].KeywordLevels = nil, nil
	res, err = label.Run(context.Background(), l, label.Options{Filter: &bare, Oracle: oracle.NewKeywords(&bare), Estimate: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "dimension " + bare.Dimensions[1].Name + " has no keywords: the keywords oracle scores it 0 for every article"
	if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
		t.Errorf("warnings %q, want one starting %q", res.Warnings, want)
	}
}

func TestRun_CacheNeverPaysTwice(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 80)
	srv, calls := fakeGemini(t, f, nil)
	orc := gemini(t, srv.URL)
	n := passed(t, l, f)
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, Concurrency: 4, BatchSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	if res.Labeled != n || calls.Load() != n || res.Cost <= 0 {
		t.Fatalf("first run: %+v, %d requests for %d articles", res, calls.Load(), n)
	}
	wantCost := float64(n) * (1000*0.30 + 200*2.50) / 1e6
	if d := res.Cost - wantCost; d > 1e-9 || d < -1e-9 {
		t.Errorf("cost %.6f, want %.6f from the price table", res.Cost, wantCost)
	}
	again, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: orc})
	if err != nil || again.Labeled != 0 || again.AlreadyDone != n || calls.Load() != n {
		t.Errorf("rerun: %+v, %v, %d requests", again, err, calls.Load())
	}
	full, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, Full: true})
	if err != nil || full.Cached != n || full.Cost != 0 || calls.Load() != n {
		t.Errorf("--full: %+v, %v: want every answer from the cache, %d requests", full, err, calls.Load())
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.labels WHERE cached"); got != n {
		t.Errorf("%d cached label rows, want %d", got, n)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.oracle_calls"); got != n {
		t.Errorf("%d oracle_calls rows, want %d (cache hits make no call)", got, n)
	}
	// The key is nowhere in the lake or the journal.
	filepath.Walk(l.Root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), secret) {
				t.Errorf("the API key is in %s", p)
			}
		}
		return nil
	})
}

func TestRun_FailuresByClass(t *testing.T) {
	ctx := context.Background()
	quick := label.Options{Backoff: time.Millisecond, Concurrency: 2}
	t.Run("429 then success: retried, every attempt recorded", func(t *testing.T) {
		l, f := lakeWithCompressed(t, 40)
		srv, calls := fakeGemini(t, f, func(n int64) (int, string) {
			if n%3 == 1 {
				return 429, `{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.01s"}]}}`
			}
			return 0, ""
		})
		o := quick
		o.Filter, o.Oracle = f, gemini(t, srv.URL)
		res, err := label.Run(ctx, l, o)
		if err != nil || res.Labeled != passed(t, l, f) || res.Failed != 0 {
			t.Fatalf("%+v, %v", res, err)
		}
		if got := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.oracle_calls WHERE status = 'failed' AND error_class = 'rate_limited'"); got == 0 || got+res.Labeled != calls.Load() {
			t.Errorf("%d failed calls recorded of %d requests", got, calls.Load())
		}
	})
	t.Run("401 stops at once", func(t *testing.T) {
		l, f := lakeWithCompressed(t, 40)
		srv, calls := fakeGemini(t, f, func(int64) (int, string) {
			return 401, `{"error":{"code":401,"message":"API key not valid","status":"UNAUTHENTICATED"}}`
		})
		o := quick
		o.Filter, o.Oracle = f, gemini(t, srv.URL)
		_, err := label.Run(ctx, l, o)
		if !errors.Is(err, label.ErrAuth) || calls.Load() > 2 || strings.Contains(err.Error(), secret) {
			t.Errorf("err = %v after %d requests", err, calls.Load())
		}
	})
	t.Run("per-day quota stops cleanly and keeps what was done", func(t *testing.T) {
		l, f := lakeWithCompressed(t, 60)
		srv, _ := fakeGemini(t, f, func(n int64) (int, string) {
			if n > 5 {
				return 429, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}}`
			}
			return 0, ""
		})
		o := quick
		o.Filter, o.Oracle, o.Concurrency = f, gemini(t, srv.URL), 1
		res, err := label.Run(ctx, l, o)
		if !errors.Is(err, label.ErrQuota) || res.Labeled != 5 || !strings.Contains(err.Error(), "rerun") {
			t.Fatalf("%+v, %v", res, err)
		}
		if got := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.labels"); got != 5 {
			t.Errorf("%d labels committed, want the 5 done before the quota", got)
		}
	})
	t.Run("malformed answer asked again once, then recorded", func(t *testing.T) {
		l, f := lakeWithCompressed(t, 40)
		srv, calls := fakeGemini(t, f, func(n int64) (int, string) {
			return 200, `{"candidates":[{"content":{"role":"model","parts":[{"text":"{\"deployment_stage\": {\"score\": 14}}"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5}}`
		})
		o := quick
		o.Filter, o.Oracle = f, gemini(t, srv.URL)
		o.StopAfterFailures = -1 // every article asked: no stop after ten in a row
		res, err := label.Run(ctx, l, o)
		n := passed(t, l, f)
		if res.Labeled != 0 || res.Failed != n || res.FailedBy["invalid"] != n || calls.Load() != 2*n {
			t.Fatalf("%+v, %v, %d requests", res, err, calls.Load())
		}
		if ok, err := l.Exists(ctx, spec.Labels.For(f)); ok || err != nil {
			t.Errorf("labels invented from invalid answers: the table exists (%v)", err)
		}
		// Failed calls are never served from the cache: a rerun asks again.
		calls.Store(0)
		label.Run(ctx, l, o)
		if calls.Load() != 2*n {
			t.Errorf("rerun made %d requests, want %d", calls.Load(), 2*n)
		}
	})
}

func TestRun_LimitsAndEstimate(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 80)
	srv, calls := fakeGemini(t, f, nil)
	orc := gemini(t, srv.URL)
	est, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, Estimate: true})
	if err != nil || calls.Load() != 0 || est.Misses != passed(t, l, f) || est.ExpectedCost <= 0 || est.ExpectedIn <= 0 {
		t.Fatalf("estimate: %+v, %v, %d requests", est, err, calls.Load())
	}
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, TargetCount: 5, Concurrency: 3})
	if err != nil || res.Labeled != 5 || calls.Load() != 5 || res.Stopped != "target_count" {
		t.Fatalf("target count: %+v, %v, %d requests", res, err, calls.Load())
	}
	perCall := (1000*0.30 + 200*2.50) / 1e6
	res, err = label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, MaxCost: 3.5 * perCall, Concurrency: 1, MaxTokens: 800})
	if err != nil || res.Cost > 3.5*perCall || res.Labeled == 0 || res.Stopped != "max_cost" {
		t.Fatalf("max cost: %+v, %v", res, err)
	}
}

// TestMain doubles as a labeling child process that the journal test kills,
// and as a fake Gemini server in a process of its own for the benchmark.
func TestMain(m *testing.M) {
	if os.Getenv("LABEL_FAKE_SERVER") == "1" {
		serveFakeGemini()
		return
	}
	if os.Getenv("LABEL_WORKER") == "1" {
		workerMain()
	}
	if os.Getenv("LABEL_CHILD") == "1" {
		ctx := context.Background()
		l, err := lake.Open(ctx, os.Getenv("LABEL_LAKE"))
		if err != nil {
			panic(err)
		}
		f, _ := filters.Load(os.Getenv("LABEL_FILTER"))
		g, _ := oracle.NewGemini(ctx, "gemini-2.5-flash", os.Getenv("LABEL_URL"), 5*time.Second)
		batch := 1 << 30
		if os.Getenv("LABEL_SLOW_COMMIT") == "1" { // commits of 5 that take 10 s each
			batch = 5
			label.InjectFaults(func(op string) error {
				if op == "commit labels" { // the calls of the batch are in the lake, its labels not yet
					time.Sleep(10 * time.Second)
				}
				return nil
			})
		}
		repeat, _ := strconv.Atoi(os.Getenv("LABEL_REPEAT"))
		label.Run(ctx, l, label.Options{Filter: f, Oracle: g, Concurrency: 2, BatchSize: batch, Repeat: repeat})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// kill -9 while answers sit in the journal, uncommitted, and while a batch is
// being committed (answers keep being journaled meanwhile): the next run commits
// them first, asks for none of them again, and labels no article twice (no
// article's repeat twice under --repeat).
func TestRun_KillNineJournal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    string
		repeat int64
	}{{"uncommitted", "LABEL_SLOW_COMMIT=0", 1}, {"during a commit", "LABEL_SLOW_COMMIT=1", 1}, {"uncommitted, repeat 2", "LABEL_SLOW_COMMIT=0", 2}} {
		t.Run(tc.name, func(t *testing.T) { killNine(t, tc.env, tc.repeat) })
	}
}

// journaled counts the entries in every journal file (sealed ones too).
func journaled(l *lake.Lake, f *filters.Filter) (n, sealed int) {
	des, _ := os.ReadDir(filepath.Join(l.Root, "journal"))
	for _, de := range des {
		if strings.HasPrefix(de.Name(), f.Namespace()+".labels") {
			n += lines(filepath.Join(l.Root, "journal", de.Name()))
			if strings.Contains(de.Name(), ".sealed-") {
				sealed++
			}
		}
	}
	return n, sealed
}

func killNine(t *testing.T, env string, repeat int64) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 60)
	articles := passed(t, l, f)
	n := articles * repeat // asks
	var slow atomic.Bool
	slow.Store(true)
	srv, calls := fakeGemini(t, f, func(int64) (int, string) {
		if slow.Load() {
			time.Sleep(30 * time.Millisecond)
		}
		return 0, ""
	})
	t.Setenv("GEMINI_API_KEY", secret)
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "LABEL_CHILD=1", "LABEL_LAKE="+l.Root, "LABEL_URL="+srv.URL, env, fmt.Sprint("LABEL_REPEAT=", repeat),
		"LABEL_FILTER="+filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1"))
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		// With slow commits: the first batch is sealed and committing, and
		// answers after it are journaled meanwhile.
		got, sealed := journaled(l, f)
		if got >= 12 && (sealed > 0 || env == "LABEL_SLOW_COMMIT=0") || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	inJournal, sealed := journaled(l, f)
	if inJournal < 12 || inJournal >= int(n) || (env == "LABEL_SLOW_COMMIT=1" && sealed == 0) {
		t.Fatalf("%d journal lines (%d sealed files) at the kill (of %d articles)", inJournal, sealed, n)
	}
	// The labels table is made by its first commit: none, or empty, here.
	if cur, err := l.Current(ctx, spec.Labels.For(f)); err == nil && cur != nil && cur.TotalRows != 0 {
		t.Fatalf("%d labels committed before the kill: the test needs them uncommitted", cur.TotalRows)
	} else if err != nil && !errors.Is(err, lake.ErrNoTable) {
		t.Fatal(err)
	}
	slow.Store(false)
	before := calls.Load()
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), Repeat: int(repeat)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Recovered != int64(inJournal) {
		t.Errorf("recovered %d, the journal held %d", res.Recovered, inJournal)
	}
	// In-flight requests at the kill were paid for but never journaled: at most
	// one per worker is asked again.
	if asked := calls.Load() - before; asked != n-int64(inJournal) {
		t.Errorf("asked %d more, want %d (the %d not journaled)", asked, n-int64(inJournal), n-int64(inJournal))
	}
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM sustainability_tech_deployment.labels"); got != articles {
		t.Errorf("%d articles labeled, want %d", got, articles)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT (id, repeat)) FROM sustainability_tech_deployment.labels"); got != n {
		t.Errorf("%d asks labeled, want %d", got, n)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) - count(DISTINCT (id, repeat)) FROM sustainability_tech_deployment.labels"); got != 0 {
		t.Errorf("%d asks labeled twice", got)
	}
	if got, _ := journaled(l, f); got != 0 {
		t.Error("the journal was not emptied after its entries were committed")
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) - count(DISTINCT (cache_key, called_at)) FROM sustainability_tech_deployment.oracle_calls"); got != 0 {
		t.Errorf("%d calls recorded twice", got)
	}
}

// An answer counts (progress, the commit) only once an fsync of the journal
// covers it, and one fsync covers several answers (group commit).
func TestRun_CountsOnlyJournaled(t *testing.T) {
	l, f := lakeWithCompressed(t, 60)
	srv, _ := slowGemini(t, f, 20*time.Millisecond)
	journal := filepath.Join(l.Root, "journal", f.Namespace()+".labels.jsonl")
	var checked int
	progress := func(r label.Result) {
		checked++
		if counted := r.RowsOut + r.Failed; r.Synced < counted || int64(lines(journal)) < counted {
			t.Errorf("%d answers counted, %d synced, %d in the journal", counted, r.Synced, lines(journal))
		}
	}
	res, err := label.Run(context.Background(), l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), Concurrency: 8,
		BatchSize: 1 << 30, SyncEvery: 100 * time.Millisecond, Progress: progress})
	if err != nil || res.Labeled != passed(t, l, f) || checked != int(res.Labeled) {
		t.Fatalf("%+v, %v, %d progress calls", res, err, checked)
	}
	if res.Synced != res.Labeled || res.Syncs >= res.Labeled/2 {
		t.Errorf("%d fsyncs for %d of %d answers: want every answer synced, several a sync", res.Syncs, res.Synced, res.Labeled)
	}
}

// When the journal fails, the run stops, and every answer it was given is
// committed all the same: none is lost, none waits in a journal that a
// commit then empties.
func TestRun_JournalFailsNothingLost(t *testing.T) {
	l, f := lakeWithCompressed(t, 400)
	srv, _ := slowGemini(t, f, 10*time.Millisecond)
	var syncs atomic.Int64
	defer label.InjectFaults(func(op string) error {
		if op == "journal sync" && syncs.Add(1) == 3 {
			return errors.New("disk on fire")
		}
		return nil
	})()
	orc := &answered{Oracle: gemini(t, srv.URL)}
	res, err := label.Run(context.Background(), l, label.Options{Filter: f, Oracle: orc, Concurrency: 8,
		BatchSize: 1 << 30, SyncEvery: 5 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || res.Stopped != "journal" {
		t.Fatalf("%+v, %v", res, err)
	}
	if res.Labeled == 0 || res.Synced >= res.Labeled {
		t.Fatalf("the test needs answers the journal did not sync: %+v", res)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.labels"); got != orc.n.Load() || got != res.Labeled {
		t.Errorf("%d labels in the lake, %d answers received, %d counted", got, orc.n.Load(), res.Labeled)
	}
}

// answered counts the answers an oracle returned (paid for).
type answered struct {
	oracle.Oracle
	n atomic.Int64
}

func (a *answered) Call(ctx context.Context, req oracle.Request) (oracle.Response, error) {
	resp, err := a.Oracle.Call(ctx, req)
	if err == nil {
		a.n.Add(1)
	}
	return resp, err
}

// When a commit fails, nothing more is committed and the journal keeps every
// answer: the next run commits them and asks for none of them again.
func TestRun_CommitFailsJournalKeeps(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 120)
	n := passed(t, l, f)
	srv, calls := slowGemini(t, f, 10*time.Millisecond)
	var commits atomic.Int64
	restore := label.InjectFaults(func(op string) error {
		if op == "commit" && commits.Add(1) == 1 {
			return errors.New("catalog locked")
		}
		return nil
	})
	first, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), Concurrency: 8, BatchSize: 5})
	restore()
	if err == nil || first.Stopped != "commit" || first.Labeled < 5 {
		t.Fatalf("%+v, %v", first, err)
	}
	again := &answered{Oracle: gemini(t, srv.URL)}
	second, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: again})
	if err != nil || calls.Load() == 0 {
		t.Fatal(err)
	}
	if second.Recovered != first.Labeled {
		t.Errorf("recovered %d, the first run received %d", second.Recovered, first.Labeled)
	}
	if got := again.n.Load(); got != n-first.Labeled {
		t.Errorf("asked %d more, want %d", got, n-first.Labeled)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(DISTINCT id) FROM sustainability_tech_deployment.labels"); got != n {
		t.Errorf("%d articles labeled, want %d", got, n)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) - count(DISTINCT id) FROM sustainability_tech_deployment.labels"); got != 0 {
		t.Errorf("%d articles labeled twice", got)
	}
}

// The journal fails while a batch is being committed, and that commit fails
// too: the answers only memory holds are committed at the end, the journal
// keeps the rest, and the next run has every answer without asking again.
func TestRun_JournalAndCommitFail(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 400)
	n := passed(t, l, f)
	srv, _ := slowGemini(t, f, 10*time.Millisecond)
	var syncs, commits atomic.Int64
	restore := label.InjectFaults(func(op string) error {
		switch {
		case op == "journal sync" && syncs.Add(1) == 4:
			return errors.New("disk on fire")
		case op == "commit" && commits.Add(1) == 1:
			time.Sleep(500 * time.Millisecond)
			return errors.New("catalog locked")
		}
		return nil
	})
	first := &answered{Oracle: gemini(t, srv.URL)}
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: first, Concurrency: 8, BatchSize: 5, SyncEvery: 5 * time.Millisecond})
	restore()
	if err == nil || first.n.Load() == 0 {
		t.Fatalf("%+v, %v", res, err)
	}
	inLake := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.labels")
	again := &answered{Oracle: gemini(t, srv.URL)}
	second, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: again})
	if err != nil {
		t.Fatal(err)
	}
	if inLake+second.Recovered != first.n.Load() {
		t.Errorf("first run: %d answers, %d in the lake, %d recovered from the journal", first.n.Load(), inLake, second.Recovered)
	}
	if got := again.n.Load(); got != n-first.n.Load() {
		t.Errorf("asked %d more, want %d", got, n-first.n.Load())
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) - count(DISTINCT id) FROM sustainability_tech_deployment.labels"); got != 0 {
		t.Errorf("%d articles labeled twice", got)
	}
}

// Two labeling runs of one filter at once would ask for the same articles:
// the second is refused while the first runs, and runs once it has ended.
func TestRun_OneRunAtATime(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 60)
	srv, _ := slowGemini(t, f, 50*time.Millisecond)
	started := make(chan struct{})
	var once sync.Once
	done := make(chan error)
	go func() {
		_, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), Concurrency: 2,
			Progress: func(label.Result) { once.Do(func() { close(started) }) }})
		done <- err
	}()
	<-started
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL)}); !errors.Is(err, label.ErrBusy) {
		t.Errorf("a second run at once: %v, want ErrBusy", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL)}); err != nil || res.AlreadyDone != passed(t, l, f) {
		t.Errorf("a run after it: %+v, %v", res, err)
	}
}

// With 16 calls in flight the client keeps its connections: about as many
// are opened as calls can be in flight (net/http may finish a dial it no
// longer needs, hence the slack); Go's default transport keeps 2 idle and
// opens new ones all run long (over 90 here).
func TestRun_KeepsConnections(t *testing.T) {
	l, f := lakeWithCompressed(t, 800)
	var n, opened atomic.Int64
	srv := httptest.NewUnstartedServer(geminiHandler(f, func(int64) (int, string) {
		time.Sleep(10 * time.Millisecond)
		return 0, ""
	}, &n))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	res, err := label.Run(context.Background(), l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), Concurrency: 16})
	if err != nil || res.Labeled < 160 {
		t.Fatalf("%+v, %v", res, err)
	}
	if opened.Load() > 32 {
		t.Errorf("%d connections opened for %d calls, 16 at a time", opened.Load(), res.Calls)
	}
}

func lines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

// fakeAnswer is the benchmark's answer: every dimension scored 6.
func fakeAnswer(f *filters.Filter) string {
	parts := make([]string, len(f.Dimensions))
	for i, d := range f.Dimensions {
		parts[i] = fmt.Sprintf(`"%s": {"score": 6, "evidence": "e"}`, d.Name)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// serveFakeGemini answers generateContent after 200 ms for any filter with
// the sustainability dimensions, printing its URL on stdout.
func serveFakeGemini() {
	f, _ := filters.Load(os.Getenv("LABEL_FILTER"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	text, _ := json.Marshal(fakeAnswer(f))
	body := fmt.Sprintf(`{"candidates":[{"content":{"role":"model","parts":[{"text":%s}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1000,"candidatesTokenCount":200}}`, text)
	fmt.Println("http://" + ln.Addr().String())
	chat := fmt.Sprintf(`{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200}}`, text)
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(200 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/chat/completions") {
			io.WriteString(w, chat)
			return
		}
		io.WriteString(w, body)
	}))
}

func TestRun_RateLimits(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 40)
	srv, calls := fakeGemini(t, f, nil)
	n := passed(t, l, f)
	start := time.Now()
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), RPM: 600, Concurrency: 8})
	if err != nil || res.Labeled != n || calls.Load() != n {
		t.Fatalf("%+v, %v", res, err)
	}
	// 600 a minute is one every 100 ms: n calls take at least (n-1) × 100 ms.
	if el := time.Since(start); el < time.Duration(n-1)*100*time.Millisecond {
		t.Errorf("%d calls in %v: the rate limit was not applied", n, el)
	}
}

// What-if on the prefilter reports flips by tier once labels exist.
func TestWhatIf_ByTierWithLabels(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 200)
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f)}); err != nil {
		t.Fatal(err)
	}
	// A stricter copy: four keyword hits instead of two.
	dir := filepath.Join(t.TempDir(), "v1")
	os.MkdirAll(dir, 0o755)
	for _, name := range []string{"filter.yaml", "prompt.md", "README.md"} {
		b, _ := os.ReadFile(filepath.Join(f.Dir, name))
		if name == "filter.yaml" {
			b = []byte(strings.Replace(string(b), "min_matches: 2", "min_matches: 4", 1))
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	stricter, err := filters.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := prefilter.WhatIf(ctx, l, f, stricter, lake.Ref{})
	if err != nil {
		t.Fatal(err)
	}
	var byTier int64
	for _, tf := range res.ByTier {
		byTier += tf.ToBlocked
		if tf.ToPassed != 0 {
			t.Errorf("a stricter rule let labeled %s articles pass", tf.Tier)
		}
	}
	if res.ToBlocked == 0 || byTier == 0 || byTier > res.ToBlocked {
		t.Errorf("what-if: %d flips to blocked, %d of them by tier (%+v)", res.ToBlocked, byTier, res.ByTier)
	}
}

// A run's Summary names the labels table and its snapshot after the run,
// also when the run had nothing to label (it reported snapshot 0 and no
// table then, unlike every other stage).
func TestRun_SummaryNamesTheSnapshot(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 30)
	first, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f)})
	if err != nil {
		t.Fatal(err)
	}
	again, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f)})
	if err != nil {
		t.Fatal(err)
	}
	want := spec.Labels.For(f).String()
	if first.Table != want || first.Snapshot == 0 || again.Table != want || again.Snapshot != first.Snapshot || again.Output == nil || again.RowsOut != 0 {
		t.Errorf("first run: %s@%d; rerun with nothing to do: %s@%d (output %v, %d rows); want both %s@%d",
			first.Table, first.Snapshot, again.Table, again.Snapshot, again.Output, again.RowsOut, want, first.Snapshot)
	}
	if !strings.Contains(again.Sum().Line(), want+"@") {
		t.Errorf("rerun's summary line %q does not name %s", again.Sum().Line(), want)
	}
}

// A dimension whose keywords never occur (the placeholders of a scaffold)
// scores 0 on every article: the run says so once it has labeled them.
func TestRun_KeywordsOracleWarnsOfSilentDimensions(t *testing.T) {
	l, f := lakeWithCompressed(t, 20)
	ph := *f
	ph.Dimensions = slices.Clone(f.Dimensions)
	ph.Dimensions[0].Keywords, ph.Dimensions[0].KeywordLevels = []string{"zzplaceholderzz"}, nil
	res, err := label.Run(context.Background(), l, label.Options{Filter: &ph, Oracle: oracle.NewKeywords(&ph)})
	if err != nil {
		t.Fatal(err)
	}
	want := "dimension " + ph.Dimensions[0].Name + " scored 0 on all "
	if res.Labeled == 0 || !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
		t.Errorf("labeled %d, warnings %q, want one starting %q", res.Labeled, res.Warnings, want)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, "scored 0 on all") && !strings.HasPrefix(w, want) {
			t.Errorf("a dimension with matching keywords was called silent: %s", w)
		}
	}
}

// A model with no known price makes every cost $0, so --max-cost could
// never stop it: the run refuses the cap before any call, naming the
// filter.yaml setting; without a cap it runs and says its costs are not
// known; with the price given the cap holds again.
func TestRun_UnpricedModelRefusesMaxCost(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 20)
	srv, calls := fakeGemini(t, f, nil)
	t.Setenv("GEMINI_API_KEY", secret)
	orc, err := oracle.NewGemini(ctx, "gemini-9-ultra", srv.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, MaxCost: 1})
	if !errors.Is(err, label.ErrUnpriced) || !strings.Contains(err.Error(), "gemini-9-ultra") || !strings.Contains(err.Error(), "oracle.prices") || calls.Load() != 0 {
		t.Fatalf("--max-cost with an unpriced model: %v after %d calls; want ErrUnpriced naming the model and oracle.prices, and no call", err, calls.Load())
	}
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, TargetCount: 2})
	if err != nil || res.Labeled != 2 || !res.Unpriced || !strings.Contains(strings.Join(res.Warnings, "\n"), "no known price") {
		t.Fatalf("an unpriced run without a cap: %+v, %v; want it to label and warn", res, err)
	}
	f.Oracle.Prices = map[string]filters.Price{"gemini-9-ultra": {Input: 0.30, Output: 2.50}}
	perCall := (1000*0.30 + 200*2.50) / 1e6
	res, err = label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, MaxCost: 2.5 * perCall, Concurrency: 1, MaxTokens: 800})
	if err != nil || res.Stopped != "max_cost" || res.Cost > 2.5*perCall {
		t.Fatalf("with its price given: %+v, %v; want the cap to stop the run", res, err)
	}
}
