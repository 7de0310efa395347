package lake

import (
	"context"
	"fmt"
	"os"
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
// stage and start time are kept with the lock for that line.
func (l *Lake) LockTable(ctx context.Context, name TableName, stage string, waiting func(msg string)) (Unlocker, error) {
	if err := l.writable(); err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	tell := func(heldBy string) {
		msg := fmt.Sprintf("%s: waiting for another %s run on %s (%s) to finish", stage, stage, name, heldBy)
		if waiting == nil {
			fmt.Fprintln(os.Stderr, msg)
			return
		}
		waiting(msg)
	}
	k, err := l.Locker().Lock(ctx, tableLockName(name), stage, tell)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return k, nil
}

// TryLockTable takes the same lock as LockTable without waiting: while
// another run holds it, the error matches ErrLocked and says who holds it.
// A stage whose runs last hours (label) refuses a second run this way
// rather than making it wait.
func (l *Lake) TryLockTable(name TableName, stage string) (Unlocker, error) {
	if err := l.writable(); err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	k, err := l.Locker().TryLock(tableLockName(name), stage)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return k, nil
}

func tableLockName(n TableName) string { return "table." + n.Namespace + "." + n.Table }
