package lake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrLocked means TryLock found the lock held by another holder.
var ErrLocked = errors.New("held by another process")

// Locker hands out exclusive, named, process-wide locks. The lake's locks
// are files (FileLocker), or leases in a shared PostgreSQL catalog
// (LeaseLocker). holder names what takes a lock (a
// stage); the lock adds the process id and the time it was taken, which
// whoever finds it held is shown ("" records nothing).
type Locker interface {
	// Lock takes the named lock, waiting while another holds it; waiting,
	// when not nil, is called once with the current holder's description.
	Lock(ctx context.Context, name, holder string, waiting func(heldBy string)) (Unlocker, error)
	// TryLock takes the named lock without waiting: ErrLocked, wrapped
	// with the lock and its holder, while another holds it.
	TryLock(name, holder string) (Unlocker, error)
}

// Unlocker releases a lock taken from a Locker.
type Unlocker interface {
	Unlock()
}

// FileLocker is the Locker of a folder: lock NAME is an flock on DIR/NAME.lock
// where the platform has it. The kernel releases a lock when its process
// dies, so a crash never leaves it held. The lock is per open file, so two
// lockers in one process exclude each other too.
type FileLocker struct {
	Dir string
}

// fileLock is a lock held by a FileLocker.
type fileLock struct{ f *os.File }

func (k *fileLock) Unlock() {
	unlock(k.f)
	k.f.Close()
}

// Lock takes the named lock, polling while another open file holds it.
func (fl FileLocker) Lock(ctx context.Context, name, holder string, waiting func(heldBy string)) (Unlocker, error) {
	f, err := fl.open(name)
	if err != nil {
		return nil, ctxError(ctx, err)
	}
	told := false
	for {
		busy, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, ctxError(ctx, fmt.Errorf("lock %s: %w", name, err))
		}
		if !busy {
			return fl.held(f, holder), nil
		}
		if !told && waiting != nil {
			waiting(heldBy(f.Name()))
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

// TryLock takes the named lock or returns ErrLocked at once.
func (fl FileLocker) TryLock(name, holder string) (Unlocker, error) {
	f, err := fl.open(name)
	if err != nil {
		return nil, err
	}
	busy, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if busy {
		f.Close()
		return nil, fmt.Errorf("%w: %s (%s)", ErrLocked, f.Name(), heldBy(f.Name()))
	}
	return fl.held(f, holder), nil
}

func (fl FileLocker) open(name string) (*os.File, error) {
	if err := os.MkdirAll(fl.Dir, 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(fl.Dir, name+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
}

// held records who holds the lock in its file (best effort: the flock is
// the lock, the text only tells others who has it).
func (fl FileLocker) held(f *os.File, holder string) *fileLock {
	if holder != "" {
		if err := f.Truncate(0); err == nil {
			fmt.Fprintf(f, "pid %d, %s, since %s\n", os.Getpid(), holder, time.Now().UTC().Format("15:04:05 UTC"))
		}
	}
	return &fileLock{f: f}
}

// heldBy reads who holds a lock file. A holder that has just taken the lock
// may not have written yet: read once more.
func heldBy(path string) string {
	for try := 0; try < 2; try++ {
		b, err := os.ReadFile(path)
		if s := strings.TrimSpace(string(b)); err == nil && s != "" {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "pid unknown"
}

// Locker is the lake's lock service: files in DIR/locks, or leases in the
// catalog database when the catalog is in PostgreSQL (several machines share
// it; file locks would exclude the processes of one machine only).
func (l *Lake) Locker() Locker {
	if l.shared != nil {
		return l.shared.leases
	}
	return FileLocker{Dir: filepath.Join(l.Root, "locks")}
}

// Lock takes the named lock of the lake, waiting (and calling waiting once)
// while another process holds it. A read-only lake has no locks: only
// writers lock, and Lock returns ErrReadOnly.
func (l *Lake) Lock(ctx context.Context, name string, waiting func()) (Unlocker, error) {
	if err := l.writable(); err != nil {
		return nil, err
	}
	var tell func(string)
	if waiting != nil {
		tell = func(string) { waiting() }
	}
	return l.Locker().Lock(ctx, name, "", tell)
}

// TryLock takes the named lock of the lake for holder without waiting
// (ErrLocked while another holds it). A read-only lake returns ErrReadOnly.
func (l *Lake) TryLock(name, holder string) (Unlocker, error) {
	if err := l.writable(); err != nil {
		return nil, err
	}
	return l.Locker().TryLock(name, holder)
}
