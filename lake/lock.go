package lake

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Lock is an advisory, process-wide lock on a name inside the lake (flock on
// DIR/locks/NAME.lock where the platform has it). The kernel releases it
// when the process dies, so a crash never leaves it held.
type Lock struct{ f *os.File }

// Lock takes the named lock, waiting (and calling waiting once) while
// another process holds it. A read-only lake has no locks: only writers
// lock, and Lock returns ErrReadOnly.
func (l *Lake) Lock(ctx context.Context, name string, waiting func()) (*Lock, error) {
	if err := l.writable(); err != nil {
		return nil, err
	}
	dir := filepath.Join(l.Root, "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, name+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	told := false
	for {
		busy, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		if !busy {
			return &Lock{f: f}, nil
		}
		if !told && waiting != nil {
			waiting()
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Unlock releases the lock.
func (k *Lock) Unlock() {
	unlock(k.f)
	k.f.Close()
}
