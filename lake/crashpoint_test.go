//go:build unix

package lake

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// The child half of TestCrashPoint_KillsAtCommit: one append to the lake in
// $LAKE_CRASH_CHILD.
func TestCrashPoint_Child(t *testing.T) {
	dir := os.Getenv("LAKE_CRASH_CHILD")
	if dir == "" {
		t.Skip("run by TestCrashPoint_KillsAtCommit")
	}
	l, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	appendRows(t, l, testTable, "a")
}

// A process that reaches the named crash point dies of SIGKILL there: before
// the commit nothing is committed, after it the snapshot is in; a point
// scoped to another table does nothing.
func TestCrashPoint_KillsAtCommit(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		at        string
		killed    bool
		wantSnaps int
	}{
		{"before-commit", true, 0},
		{"before-commit:" + testTable.String(), true, 0},
		{"after-commit", true, 1},
		{"before-commit:other.table", false, 1},
	} {
		t.Run(c.at, func(t *testing.T) {
			l := newLake(t)
			if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashPoint_Child$")
			cmd.Env = append(os.Environ(), "LAKE_CRASH_CHILD="+l.Root, CrashEnv+"="+c.at)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			killed := errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
			if killed != c.killed || !killed && err != nil {
				t.Fatalf("%s=%s: killed %v (%v), want %v\n%s", CrashEnv, c.at, killed, err, c.killed, out)
			}
			if !killed && !strings.Contains(string(out), "PASS") {
				t.Fatalf("child did not run: %s", out)
			}
			snaps, err := l.Snapshots(ctx, testTable)
			if err != nil || len(snaps) != c.wantSnaps {
				t.Errorf("%d snapshots (%v), want %d", len(snaps), err, c.wantSnaps)
			}
		})
	}
}
