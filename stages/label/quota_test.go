package label_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
)

// --rpd N stops the run cleanly before the model's requests of the last 24
// hours pass N, saying when the next may be made; a rerun the same day makes
// none, and resumes once there is room.
func TestRun_RequestsPerDay(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 40)
	srv, calls := fakeGemini(t, f, nil)
	start := time.Now()
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), RPD: 5, Concurrency: 4})
	if err != nil || calls.Load() != 5 || res.Labeled != 5 || res.Stopped != "rpd" || res.NextRequestAt == nil {
		t.Fatalf("--rpd 5: %+v, %v, %d calls", res, err, calls.Load())
	}
	if next := *res.NextRequestAt; next.Before(start.Add(24*time.Hour)) || next.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("next request at %v, want a day after the first call (%v)", next, start)
	}
	if d := strings.Join(res.Details(), "\n"); !strings.Contains(d, "stopped early: rpd") || !strings.Contains(d, "next request may be made at") {
		t.Errorf("details do not say the daily quota stopped the run: %s", d)
	}
	if got := testutil.QueryInt(t, l, "SELECT count(*) FROM "+spec.Labels.For(f).String()); got != 5 {
		t.Errorf("%d labels committed, want 5", got)
	}
	again, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), RPD: 5})
	if err != nil || calls.Load() != 5 || again.Stopped != "rpd" || again.AlreadyDone != 5 {
		t.Errorf("rerun the same day: %+v, %v, %d calls in all", again, err, calls.Load())
	}
	// A larger quota resumes where the run stopped.
	more, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), RPD: 8})
	if err != nil || calls.Load() != 8 || more.Labeled != 3 || more.AlreadyDone != 5 {
		t.Errorf("rerun with --rpd 8: %+v, %v, %d calls in all", more, err, calls.Load())
	}
}

// Only the last 24 hours' requests of the same oracle kind and model count,
// failed attempts (retries) too.
func TestRun_RequestsPerDayWindow(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 40)
	now := time.Now().UTC().Truncate(time.Microsecond)
	recent := now.Add(-2 * time.Hour)
	writeCalls(t, l, f, "gemini", "gemini-2.5-flash", now.Add(-25*time.Hour), now.Add(-30*time.Hour), now.Add(-48*time.Hour), recent, recent.Add(time.Minute))
	writeCalls(t, l, f, "gemini", "gemini-2.5-pro", recent, recent, recent, recent)
	writeCalls(t, l, f, "openai", "gemini-2.5-flash", recent, recent, recent, recent)
	srv, calls := fakeGemini(t, f, func(n int64) (int, string) {
		if n == 1 {
			return 503, `{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}`
		}
		return 0, ""
	})
	res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: gemini(t, srv.URL), RPD: 6, Concurrency: 1, Backoff: time.Millisecond})
	// 6 less the 2 recent: 4 requests, the first failed and retried.
	if err != nil || calls.Load() != 4 || res.Labeled != 3 || res.Stopped != "rpd" {
		t.Fatalf("%+v, %v, %d calls; want 4 (2 of the 6 made 2 hours ago, the older ones and other models' not counted)", res, err, calls.Load())
	}
	if want := recent.Add(24 * time.Hour); res.NextRequestAt == nil || !res.NextRequestAt.Equal(want) {
		t.Errorf("next request at %v, want %v (a day after the oldest request of the window)", res.NextRequestAt, want)
	}
}

// writeCalls commits ok oracle_calls rows of kind and model made at the
// given times.
func writeCalls(t *testing.T, l *lake.Lake, f *filters.Filter, kind, model string, at ...time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := spec.OracleCalls.Ensure(ctx, l, f); err != nil {
		t.Fatal(err)
	}
	p, err := l.WriteRows(ctx, spec.OracleCalls.For(f), func(rb *lake.RowBuilder) error {
		for i, ts := range at {
			rb.String("cache_key", kind+model+ts.String()+string(rune('a'+i)))
			rb.String("oracle", kind)
			rb.String("model", model)
			rb.String("status", "ok")
			rb.String("response", "{}")
			rb.Time("called_at", ts)
			rb.EndRow()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(ctx, lake.Commit{Stage: spec.Label.Name}); err != nil {
		t.Fatal(err)
	}
}

// The keywords oracle makes requests too (free ones): --rpd counts them as
// any oracle's, so a test can exercise the quota offline.
func TestRun_RequestsPerDayKeywords(t *testing.T) {
	l, f := lakeWithCompressed(t, 30)
	res, err := label.Run(context.Background(), l, label.Options{Filter: f, Oracle: oracle.NewKeywords(f), RPD: 3})
	if err != nil || res.Labeled != 3 || res.Stopped != "rpd" {
		t.Errorf("%+v, %v", res, err)
	}
}
