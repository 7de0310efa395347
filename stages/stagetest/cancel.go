package stagetest

import (
	"context"
	"errors"
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

// maxCancelPoints bounds the k tried per stage, to keep the suite fast: the
// first few checks, then a stride over the rest.
const maxCancelPoints = 12

// cancelPoints picks at most max of 1..n: every one of the first max/2,
// then evenly spaced up to n.
func cancelPoints(n, max int) []int {
	if n <= max {
		ks := make([]int, n)
		for i := range ks {
			ks[i] = i + 1
		}
		return ks
	}
	var ks []int
	head := max / 2
	for k := 1; k <= head; k++ {
		ks = append(ks, k)
	}
	rest := max - head
	for i := 1; i <= rest; i++ {
		ks = append(ks, head+(n-head)*i/rest)
	}
	return ks
}

// testCancellation runs s from the same prepared lake with a context that
// fires at its k-th check, for k over the checks of a whole run. After
// each, every table s writes holds either what it held before or the
// whole output of a run (never part), and a rerun finishes the work.
func testCancellation(t *testing.T, s *spec.Spec, r Runner) {
	dir, articles := template(t, s, "k1", "k2")
	out := s.Output()
	ref := copyEnv(t, dir, articles)
	before := rowCount(t, ref, out)
	probe := newCountdown(-1)
	if _, err := r.Run(probe, ref, nil); err != nil {
		t.Fatalf("run with a context never cancelled: %v", err)
	}
	_, n := probe.state()
	whole := rowCount(t, ref, out) - before
	if whole == 0 {
		t.Fatalf("a whole run of %s wrote no row to %s", s.Name, out.Name)
	}
	ks := cancelPoints(n, maxCancelPoints)
	t.Logf("%s checks its context %d times in a run; cancelling at %v", s.Name, n, ks)
	for _, k := range ks {
		e := copyEnv(t, dir, articles)
		ctx := newCountdown(k)
		_, err := r.Run(ctx, e, nil)
		fired, _ := ctx.state()
		switch {
		case !fired && err != nil:
			t.Errorf("k=%d: %s failed without being cancelled: %v", k, s.Name, err)
		case fired && err != nil && !errors.Is(err, context.Canceled):
			t.Errorf("k=%d: %s cancelled: err = %v, want one matching context.Canceled", k, s.Name, err)
		}
		checkInterrupted(t, e, s, r, before, whole, "cancelled at check "+itoa(k))
		e.Lake.Close()
	}
}
