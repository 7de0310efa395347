package label_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label"
)

// An oracle that cannot be reached fails every call the same way: the run
// stops after the first ten (and the calls then in flight), says why with
// the first error's text, and returns ErrFailing.
func TestRun_UnreachableOracleStops(t *testing.T) {
	l, f := lakeWithCompressed(t, 300)
	n := passed(t, l, f)
	res, err := label.Run(context.Background(), l, label.Options{Filter: f, Oracle: gemini(t, testutil.ClosedPort(t)), Concurrency: 4})
	if !errors.Is(err, label.ErrFailing) || !strings.Contains(err.Error(), "connection refused") || res.Stopped != "failing" {
		t.Fatalf("err = %v, result %+v", err, res)
	}
	if got := res.FailedBy["connection"]; got < 10 || got > 10+4 || res.Failed != got || got >= n {
		t.Errorf("%d of %d articles failed (%v) before the stop, want 10 to 14", got, n, res.FailedBy)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.oracle_calls WHERE error_class = 'connection'"); got != res.Calls {
		t.Errorf("%d failed calls recorded, %d made", got, res.Calls)
	}
}

// Every call of a run failing is an error even when the run did not stop
// early (fewer articles than the limit); failures mixed with answers are not.
func TestRun_EveryCallFails(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 60)
	n := passed(t, l, f)
	bad := `{"error":{"code":400,"message":"Invalid JSON payload received","status":"INVALID_ARGUMENT"}}`
	srv, calls := fakeGemini(t, f, func(int64) (int, string) { return 400, bad })
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), StopAfterFailures: 1000})
	if !errors.Is(err, label.ErrFailing) || !strings.Contains(err.Error(), "Invalid JSON payload") || res.Failed != n || calls.Load() != n {
		t.Fatalf("err = %v, result %+v, %d requests", err, res, calls.Load())
	}
	srv2, _ := fakeGemini(t, f, func(k int64) (int, string) {
		if k%2 == 1 {
			return 400, bad
		}
		return 0, ""
	})
	res, err = label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv2.URL), Concurrency: 1})
	if err != nil || res.Labeled == 0 || res.Failed == 0 || res.Labeled+res.Failed != n {
		t.Errorf("half failing: %+v, %v", res, err)
	}
}

// A server that echoes the request's headers into its errors: the key is in
// no oracle_calls row, no journal or lake file, and not in the run's error.
func TestRun_EchoedKeyNotStored(t *testing.T) {
	l, f := lakeWithCompressed(t, 60)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		var hs []string
		for k, v := range r.Header {
			hs = append(hs, k+": "+strings.Join(v, ","))
		}
		sort.Strings(hs)
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":{"code":400,"message":%q,"status":"INVALID_ARGUMENT"}}`, "cannot parse request with headers "+strings.Join(hs, "; "))
	}))
	defer srv.Close()
	_, err := label.Run(context.Background(), l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), Concurrency: 2})
	if !errors.Is(err, label.ErrFailing) || strings.Contains(err.Error(), secret) {
		t.Fatalf("err = %v", err)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM sustainability_tech_deployment.oracle_calls WHERE error LIKE '%X-Goog-Api-Key: <redacted>%'"); got == 0 {
		t.Errorf("no recorded error shows the redacted header: %v", testutil.QueryStrings(t, l, "SELECT error FROM sustainability_tech_deployment.oracle_calls LIMIT 1"))
	}
	filepath.Walk(l.Root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), secret) {
				t.Errorf("the API key is in %s", p)
			}
		}
		return nil
	})
}

// A table is created by the first commit that puts rows in it: an estimate
// and a run cancelled before its first call leave no table, a first run
// whose every call fails records the failures in oracle_calls but leaves
// no empty labels table, and the next run that works creates it as usual.
func TestRun_CreatesNoEmptyTable(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 60)
	exists := func(tb *spec.Table) bool {
		t.Helper()
		ok, err := l.Exists(ctx, tb.For(f))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	srv, _ := fakeGemini(t, f, nil)
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), Estimate: true}); err != nil {
		t.Fatal(err)
	}
	if exists(spec.Labels) || exists(spec.OracleCalls) {
		t.Errorf("an estimate created labels (%v) or oracle_calls (%v)", exists(spec.Labels), exists(spec.OracleCalls))
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := label.Run(cancelled, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL)}); err == nil {
		t.Fatal("a cancelled run: no error")
	}
	if exists(spec.Labels) || exists(spec.OracleCalls) {
		t.Errorf("a run cancelled before its first call created labels (%v) or oracle_calls (%v)", exists(spec.Labels), exists(spec.OracleCalls))
	}
	_, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, testutil.ClosedPort(t)), Concurrency: 2})
	if !errors.Is(err, label.ErrFailing) {
		t.Fatalf("an unreachable oracle: %v", err)
	}
	if exists(spec.Labels) || !exists(spec.OracleCalls) {
		t.Errorf("after a run whose every call failed: labels exists %v (want false), oracle_calls %v (want true)", exists(spec.Labels), exists(spec.OracleCalls))
	}
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL)})
	n := passed(t, l, f)
	if err != nil || res.Labeled != n {
		t.Fatalf("the run after the failed one: %+v, %v; want %d labeled", res, err, n)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM "+spec.Labels.For(f).String()); got != n {
		t.Errorf("%d labels, want %d", got, n)
	}
}
