package stagetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distillery/distillery/spec"
)

// countdown is a context that becomes cancelled at its k-th check: the
// k-th call of Done or Err, wherever in the stage (or the libraries under
// it) that check is. Trying k = 1, 2, 3, … cancels a run at every point
// where it looks.
type countdown struct {
	mu     sync.Mutex
	k, n   int
	done   chan struct{}
	fired  bool
	firedN int
}

func newCountdown(k int) *countdown { return &countdown{k: k, done: make(chan struct{})} }

func (c *countdown) check() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if c.n == c.k && !c.fired {
		c.fired = true
		close(c.done)
	}
}

func (c *countdown) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *countdown) Value(any) any               { return nil }

func (c *countdown) Done() <-chan struct{} {
	c.check()
	return c.done
}

func (c *countdown) Err() error {
	c.check()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fired {
		return context.Canceled
	}
	return nil
}

// state reports whether the context fired and how many checks it saw.
func (c *countdown) state() (bool, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fired, c.n
}

// cancelPointsEnv raises the number of cancellation points tried per
// stage (default defaultCancelPoints), e.g. to 40 for a thorough run.
const cancelPointsEnv = "DISTILL_STAGETEST_CANCEL_POINTS"

// cancelAtEnv names the points to try instead, e.g. "302,858", to replay
// one.
const cancelAtEnv = "DISTILL_STAGETEST_CANCEL_AT"

// defaultCancelPoints keeps the suite fast: the first checks (setup) plus a
// few random ones; over many runs the random ones cover the rest.
const defaultCancelPoints = 7

// cancelPoints picks at most max of 1..n: the first three, then random
// ones (distinct, sorted) from the rest.
func cancelPoints(n, max int, rng *rand.Rand) []int {
	if n <= max {
		ks := make([]int, n)
		for i := range ks {
			ks[i] = i + 1
		}
		return ks
	}
	ks := []int{1, 2, 3}
	for _, i := range rng.Perm(n - 3)[:max-3] {
		ks = append(ks, i+4)
	}
	slices.Sort(ks)
	return ks
}

// testCancellation runs s from the same prepared lake with a context that
// fires at its k-th check, for k over the checks of a whole run. After
// each, every table s writes holds either what it held before or the
// whole output of a run (never part), and a rerun finishes the work.
func testCancellation(t *testing.T, fx *fixture) {
	s, r := fx.s, fx.r
	max := defaultCancelPoints
	if v := os.Getenv(cancelPointsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 3 {
			t.Fatalf("%s=%q: want a number of at least 3", cancelPointsEnv, v)
		}
		max = n
	}
	if fx.checks == 0 {
		t.Fatalf("%s never checked its context in a whole run: it cannot be cancelled", s.Name)
	}
	ks := cancelPoints(fx.checks, max, fx.rng)
	if v := os.Getenv(cancelAtEnv); v != "" {
		ks = nil
		for _, f := range strings.Split(v, ",") {
			k, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || k < 1 {
				t.Fatalf("%s=%q: want numbers of at least 1, comma-separated", cancelAtEnv, v)
			}
			ks = append(ks, k)
		}
	}
	t.Logf("%s checks its context %d times in a run; cancelling at %v", s.Name, fx.checks, ks)
	var notCanceled []string
	for _, k := range ks {
		e := fx.env(t)
		ctx := newCountdown(k)
		_, err := r.Run(ctx, e, nil)
		fired, _ := ctx.state()
		switch {
		case !fired && err != nil:
			t.Errorf("k=%d: %s failed without being cancelled: %v", k, s.Name, err)
		case fired && err != nil && !errors.Is(err, context.Canceled):
			notCanceled = append(notCanceled, fmt.Sprintf("k=%d: %v", k, err))
		case k == 1 && (err == nil || newSnapshots(t, e, s, fx) > 0):
			// Cancelled at its very first check, long before any commit: a
			// stage that ignores its context finishes here, and fails.
			t.Errorf("k=1: %s cancelled at its first check returned %v and committed %d snapshots: it must stop with context.Canceled and commit nothing", s.Name, err, newSnapshots(t, e, s, fx))
		}
		checkInterrupted(t, e, s, r, fx.before, fx.whole, "cancelled at check "+itoa(k))
		e.Lake.Close()
	}
	// Every error of a cancelled run matches context.Canceled, whatever
	// reported it (lake wraps the driver's and the catalog's).
	if len(notCanceled) > 0 {
		t.Errorf("%s cancelled returned errors that do not match context.Canceled:\n%s", s.Name, strings.Join(notCanceled, "\n"))
	}
}

// newSnapshots counts the snapshots of the tables s writes beyond those the
// prepared lake held.
func newSnapshots(t *testing.T, e *Env, s *spec.Spec, fx *fixture) int {
	t.Helper()
	n := 0
	for _, o := range s.Writes {
		n += snapshots(t, e, o) - fx.snaps[o]
	}
	return n
}
