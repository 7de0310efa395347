package lake

import (
	"context"
	"testing"
	"time"
)

// Claims on a shared catalog: one worker at a time holds a key; a holder
// that stops renewing (dead) loses it after the TTL to the next worker,
// with what it paid for; a key done since a worker began is done for it,
// one done before is claimable again (a later run that finds it to do).
func TestClaims_TakeOverAndDone(t *testing.T) {
	ctx := context.Background()
	t.Setenv(LeaseTTLEnv, "2s")
	l1, url := newPGLake(t)
	l2, err := OpenWith(ctx, t.TempDir(), Options{Catalog: url})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	c1, err := l1.Claims(ctx, "label t.labels", "worker 1")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := l2.Claims(ctx, "label t.labels", "worker 2")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	claim := func(c *Claims, key string) (ClaimState, string) {
		t.Helper()
		st, paid, _, err := c.Claim(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return st, string(paid)
	}
	if st, _ := claim(c1, "k1"); st != Claimed {
		t.Fatalf("first claim: %v", st)
	}
	if st, _ := claim(c2, "k1"); st != HeldByOther {
		t.Fatalf("claim of a held key: %v, want HeldByOther", st)
	}
	if err := c1.Paid(ctx, "k1", []byte(`{"answer":1}`)); err != nil {
		t.Fatal(err)
	}
	// Renewed: still held after several TTLs.
	time.Sleep(3 * time.Second)
	if st, _ := claim(c2, "k1"); st != HeldByOther {
		t.Fatalf("a renewed claim: %v, want HeldByOther", st)
	}
	// Worker 1 dies: no more heartbeats (its process is alive, so nothing
	// reaps it: the claim expires).
	c1.once.Do(func() { close(c1.stop) })
	<-c1.done
	var st ClaimState
	var paid string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if st, paid = claim(c2, "k1"); st != HeldByOther {
			break
		}
	}
	if st != Claimed || paid != `{"answer":1}` {
		t.Fatalf("after the holder died: %v with %q, want Claimed with its paid answer", st, paid)
	}
	if err := c2.Done(ctx, []string{"k1"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := claim(c2, "k1"); st != DoneByOther {
		t.Errorf("a key done during this run: %v, want DoneByOther", st)
	}
	c3, err := l1.Claims(ctx, "label t.labels", "a later run")
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if st, paid := claim(c3, "k1"); st != Claimed || paid != "" {
		t.Errorf("a key done before this run began: %v with %q, want Claimed afresh", st, paid)
	}
	// Close frees what holds nothing paid.
	if st, _ := claim(c3, "k2"); st != Claimed {
		t.Fatal(st)
	}
	c3.Close()
	if st, _ := claim(c2, "k2"); st != Claimed {
		t.Errorf("a key freed by Close: %v, want Claimed", st)
	}
}
