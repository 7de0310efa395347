// Package stagetest is the conformance suite every writing stage passes,
// in the style of iceberg-go's catalogtest: each stage package's
// conformance_test.go calls Run with its spec.Spec, and the suite checks,
// from the Spec alone (the tables it writes, their key columns, whether
// every run adds rows), that the stage refuses an empty input saying what
// to run first, adds nothing on a rerun, records lineage, honours a context
// cancelled at any point, runs safely in two processes at once, waits for
// (or refuses) another run's lock, and survives kill -9 mid-run.
//
// The inputs a stage needs come from running the stages before it in
// spec.Stages; runners.go is the one file that knows how to run each.
package stagetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Env is one lake with the filter and the article file the stages run on.
type Env struct {
	Lake   *lake.Lake
	Filter *filters.Filter
	// Articles is the JSONL file ingest reads.
	Articles string
}

// filterDir is the filter every case runs, relative to the repository root.
const filterDir = "filters/sustainability_tech_deployment/v1"

// seedEnv replays the cancellation points and kill moments of a failed run.
const seedEnv = "DISTILL_STAGETEST_SEED"

// Run runs every case of the suite for stage s. In a process the suite
// started itself (two at once, kill -9) it runs the stage once instead.
func Run(t *testing.T, s *spec.Spec) {
	if os.Getenv(childEnv) != "" {
		runChild(t, s)
		return
	}
	r := runnerOf(t, s)
	t.Run("empty input", func(t *testing.T) { testEmptyInput(t, s, r) })
	t.Run("invalid options", func(t *testing.T) { testInvalid(t, s, r) })
	fx := newFixture(t, s)
	t.Run("rerun adds nothing", func(t *testing.T) { testRerun(t, fx) })
	t.Run("waits for the lock", func(t *testing.T) { testWaits(t, fx) })
	t.Run("cancellation", func(t *testing.T) { testCancellation(t, fx) })
	t.Run("two processes", func(t *testing.T) { testTwoProcesses(t, fx) })
	t.Run("kill -9", func(t *testing.T) { testKill(t, fx) })
}

// fixture is what every case of one stage starts from: a lake holding two
// articles and what the stages before s made of them, and what a whole run
// of s does to it.
type fixture struct {
	s *spec.Spec
	r Runner
	// dir is the template lake (closed: cases run on copies, see env);
	// articles the file its ingest read.
	dir, articles string
	// before is the rows of s's output in the template, whole the rows a
	// whole run of s adds to them.
	before, whole int64
	// snaps is the snapshots of each table s writes in the template.
	snaps map[*spec.Table]int
	// checks is how many times a whole run checks its context, took how
	// long it lasted.
	checks int
	took   time.Duration
	rng    *rand.Rand
}

// newFixture builds the template lake and runs s once over a copy of it.
func newFixture(t *testing.T, s *spec.Spec) *fixture {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(seedEnv); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", seedEnv, v, err)
		}
		seed = n
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("cancellation points and kill moments came from seed %d: rerun with %s=%d", seed, seedEnv, seed)
		}
	})
	fx := &fixture{s: s, r: runnerOf(t, s), rng: rand.New(rand.NewPCG(seed, 13))}
	ids := fx.r.Articles
	if ids == nil {
		ids = []string{"a1", "a2"}
	}
	fx.dir, fx.articles = template(t, s, ids...)
	e := fx.env(t)
	defer e.Lake.Close()
	out := s.Output()
	fx.before = rowCount(t, e, out)
	fx.snaps = map[*spec.Table]int{}
	for _, o := range s.Writes {
		fx.snaps[o] = snapshots(t, e, o)
	}
	probe := newCountdown(-1)
	start := time.Now()
	if _, err := fx.r.Run(probe, e, nil); err != nil {
		t.Fatalf("%s over the template lake: %v", s.Name, err)
	}
	fx.took = time.Since(start)
	_, fx.checks = probe.state()
	if fx.whole = rowCount(t, e, out) - fx.before; fx.whole == 0 {
		t.Fatalf("a whole run of %s wrote no row to %s", s.Name, out.Name)
	}
	return fx
}

// env is a copy of the template lake, with new work for s.
func (fx *fixture) env(t testing.TB) *Env {
	t.Helper()
	return copyEnv(t, fx.dir, fx.articles)
}

// runnerOf is s's runner; a stage without one fails, naming the file to touch.
func runnerOf(t testing.TB, s *spec.Spec) Runner {
	t.Helper()
	r, ok := runners[s.Name]
	if !ok || r.Run == nil {
		t.Fatalf("stage %q of spec.Stages has no runner: add one to stages/stagetest/runners.go", s.Name)
	}
	return r
}

// newEnv makes an empty lake holding the articles ids (not ingested yet).
func newEnv(t testing.TB, ids ...string) *Env {
	t.Helper()
	e := &Env{Lake: testutil.NewLake(t), Filter: loadFilter(t)}
	e.SetArticles(t, ids...)
	return e
}

// SetArticles writes articles that pass the prefilter, with the given ids,
// as the file the next ingest reads.
func (e *Env) SetArticles(t testing.TB, ids ...string) {
	t.Helper()
	body := strings.Repeat("A 50 MW solar farm and a wind farm were commissioned and are in operation. ", 8)
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, `{"id":%q,"title":"Solar %s","content":%q}`+"\n", id, id, body+" Site "+id+".")
	}
	path := filepath.Join(t.TempDir(), "articles.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Articles = path
}

// runBefore runs every stage before s in spec.Stages, giving s its inputs.
func runBefore(t testing.TB, e *Env, s *spec.Spec) {
	t.Helper()
	for _, b := range spec.Stages {
		if b == s {
			return
		}
		if !ownsATable(b) { // cv only adds rows to tables others own
			continue
		}
		if _, err := runnerOf(t, b).Run(context.Background(), e, nil); err != nil {
			t.Fatalf("%s, run to prepare %s: %v", b.Name, s.Name, err)
		}
	}
	t.Fatalf("stage %q is not in spec.Stages", s.Name)
}

// testInvalid runs the stage with no filter (and no paths): an error
// saying so, never a panic, and nothing written.
func testInvalid(t *testing.T, s *spec.Spec, r Runner) {
	if r.Invalid == nil {
		t.Fatalf("no invalid-options runner for %s: add one to stages/stagetest/runners.go", s.Name)
	}
	e := newEnv(t)
	if err := r.Invalid(context.Background(), e.Lake); err == nil {
		t.Errorf("%s with its Options' zero value: no error", s.Name)
	}
	tables, err := e.Lake.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if snaps, _ := e.Lake.Snapshots(context.Background(), tb.Name); len(snaps) > 0 {
			t.Errorf("%s with invalid options committed to %s", s.Name, tb.Name)
		}
	}
}

func testEmptyInput(t *testing.T, s *spec.Spec, r Runner) {
	ctx := context.Background()
	e := newEnv(t) // no articles: ingest reads an empty file
	if err := ingest.Init(ctx, e.Lake); err != nil {
		t.Fatal(err)
	}
	rows, err := r.Run(ctx, e, nil)
	if len(s.Reads) == 0 { // nothing to wait for: an empty input adds nothing
		if err != nil || rows != 0 {
			t.Fatalf("%s of an empty file: %d rows, %v; want 0, nil", s.Name, rows, err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "first") {
		t.Fatalf("%s on an empty lake: err = %v, want one saying what to run first", s.Name, err)
	}
	names := false
	for _, in := range s.Reads {
		if w := spec.WriterOf(in); w != nil && strings.Contains(err.Error(), "distill "+w.Name) {
			names = true
		}
	}
	if !names {
		t.Errorf("%s on an empty lake: %q names no stage writing what it reads", s.Name, err)
	}
	var need *spec.NeedError
	if !errors.Is(err, spec.ErrNotReady) || !errors.As(err, &need) || need.Hint() == "" {
		t.Errorf("%s on an empty lake: %v is not a spec.NeedError with a hint", s.Name, err)
	}
	for _, o := range s.Writes {
		if n := snapshots(t, e, o); n != 0 {
			t.Errorf("%s on an empty lake committed %d snapshots of %s", s.Name, n, o.For(e.Filter))
		}
	}
}

func testRerun(t *testing.T, fx *fixture) {
	ctx := context.Background()
	s, r := fx.s, fx.r
	e := fx.env(t)
	rows, err := r.Run(ctx, e, nil)
	if err != nil || rows == 0 || !s.EveryRun && rows != 2 {
		t.Fatalf("first run: %d rows, %v; want 2", rows, err)
	}
	again, err := r.Run(ctx, e, nil)
	if err != nil || !s.EveryRun && again != 0 {
		t.Errorf("rerun: %d rows, %v; want 0", again, err)
	}
	out := s.Output().For(e.Filter)
	snaps, err := e.Lake.Snapshots(ctx, out)
	// An output an earlier stage also writes (cv's predictions) starts
	// with that stage's snapshots.
	had := fx.snaps[s.Output()]
	if want := had + map[bool]int{false: 1, true: 2}[s.EveryRun]; err != nil || len(snaps) != want {
		t.Fatalf("snapshots of %s: %d, %v; want %d (a rerun adds none unless every run is recorded)", out, len(snaps), err, want)
	}
	snap := snaps[had]
	lineage := snap.Stage == s.Name && snap.RunID != "" && snap.Params != ""
	if s.Output().Kind == spec.PerFilter {
		lineage = lineage && snap.Filter == e.Filter.Ref()
	}
	if len(s.Reads) > 0 {
		lineage = lineage && strings.Contains(snap.Inputs, "@1#")
	}
	if !lineage {
		t.Errorf("lineage missing from the snapshot: %+v", snap)
	}
	checkKeys(t, e, s, "after a rerun")
}

func testWaits(t *testing.T, fx *fixture) {
	ctx := context.Background()
	s, r := fx.s, fx.r
	e := fx.env(t)
	other, err := lake.Open(ctx, e.Lake.Root)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	hold := r.Hold
	if hold == nil {
		hold = holdTable(s)
	}
	release, err := hold(ctx, other, e)
	if err != nil {
		t.Fatal(err)
	}
	if r.Refuses != nil {
		if _, err := r.Run(ctx, e, nil); !errors.Is(err, r.Refuses) {
			t.Errorf("%s while another run holds its lock: err = %v, want %v", s.Name, err, r.Refuses)
		}
		if err := release(); err != nil {
			t.Fatalf("the other run: %v", err)
		}
		checkKeys(t, e, s, "after the other run")
		return
	}
	told := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		_, err := r.Run(ctx, e, func(msg string) { told <- msg })
		done <- err
	}()
	out := s.Output().For(e.Filter)
	select {
	case msg := <-told:
		if !r.NoWaitLine && (!strings.Contains(msg, "waiting for another "+s.Name+" run on "+out.String()) || !strings.Contains(msg, fmt.Sprintf("pid %d", os.Getpid()))) {
			t.Errorf("%s: waiting message %q does not say what it waits for and who holds it", s.Name, msg)
		}
	case err := <-done:
		t.Errorf("%s ran while another run held its lock on %s (err %v)", s.Name, out, err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("%s after the lock was released: %v", s.Name, err)
	}
	checkKeys(t, e, s, "after waiting for the lock")
}

// holdTable holds the writer lock of s's output table.
func holdTable(s *spec.Spec) func(ctx context.Context, other *lake.Lake, e *Env) (func() error, error) {
	return func(ctx context.Context, other *lake.Lake, e *Env) (func() error, error) {
		k, err := other.LockTable(ctx, s.Output().For(e.Filter), "test", nil)
		if err != nil {
			return nil, err
		}
		return func() error { k.Unlock(); return nil }, nil
	}
}

// ownsATable reports whether s is the first writer of a table it writes.
func ownsATable(s *spec.Spec) bool {
	for _, w := range s.Writes {
		if spec.WriterOf(w) == s {
			return true
		}
	}
	return false
}
