package lake

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockTable takes the writer lock of one output table (DIR/locks/table.<ns>.<table>.lock).
// A stage whose table has one row per key holds it from reading what is
// already done until its commit: Iceberg's optimistic commit lets two
// appends both land, so two runs at once would otherwise both add the same
// keys. The lock is per open file, so two Lake handles in one process
// exclude each other too; the kernel drops it when the process dies.
//
// While another process holds the lock, waiting is called once with a line
// saying who holds it (nil writes that line to standard error, so a
// command-line user always learns why nothing happens). The holder's pid,
// stage and start time are kept in the lock file for that line.
func (l *Lake) LockTable(ctx context.Context, name TableName, stage string, waiting func(msg string)) (*Lock, error) {
	lockName := "table." + name.Namespace + "." + name.Table
	path := filepath.Join(l.Root, "locks", lockName+".lock")
	tell := func() {
		msg := fmt.Sprintf("%s: waiting for another %s run on %s (%s) to finish", stage, stage, name, holder(path))
		if waiting == nil {
			fmt.Fprintln(os.Stderr, msg)
			return
		}
		waiting(msg)
	}
	k, err := l.Lock(ctx, lockName, tell)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	// Who holds it: best effort, the lock itself is the flock.
	if err := k.f.Truncate(0); err == nil {
		fmt.Fprintf(k.f, "pid %d, %s, since %s\n", os.Getpid(), stage, time.Now().UTC().Format("15:04:05 UTC"))
	}
	return k, nil
}

// holder reads who holds a table lock, as written by LockTable. A holder
// that has just taken the lock may not have written yet: read once more.
func holder(path string) string {
	for try := 0; try < 2; try++ {
		b, err := os.ReadFile(path)
		if s := strings.TrimSpace(string(b)); err == nil && s != "" {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "pid unknown"
}
