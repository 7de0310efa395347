package lake

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// A second LockTable on the same table, through another handle, waits and
// says for what and for whom; it gets the lock once the first is released.
func TestLake_LockTableWaitsAndSays(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	other, err := Open(ctx, l.Root)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	held, err := l.LockTable(ctx, testTable, "prefilter", nil)
	if err != nil {
		t.Fatal(err)
	}
	told := make(chan string, 1)
	got := make(chan error, 1)
	go func() {
		k, err := other.LockTable(ctx, testTable, "prefilter", func(msg string) { told <- msg })
		if err == nil {
			k.Unlock()
		}
		got <- err
	}()
	select {
	case msg := <-told:
		want := fmt.Sprintf("prefilter: waiting for another prefilter run on %s (pid %d, prefilter, since ", testTable, os.Getpid())
		if !strings.HasPrefix(msg, want) {
			t.Errorf("waiting message %q, want it to start %q", msg, want)
		}
	case err := <-got:
		t.Fatalf("second LockTable returned (%v) while the first held the lock", err)
	}
	held.Unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	// Another table is another lock: no wait.
	k, err := other.LockTable(ctx, TableName{Namespace: "ns", Table: "other"}, "compress", func(string) { t.Error("waited for a lock nobody holds") })
	if err != nil {
		t.Fatal(err)
	}
	k.Unlock()
}
