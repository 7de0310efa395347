package lake

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// waitForCreators waits until no process is creating a table of the
// warehouse. EnsureTable writes a new table's first metadata file before its
// catalog row, under the create lock of that table: a catalog that registers
// no table beside a warehouse that holds metadata is lost only when no
// creator holds one of those locks (else a lake opened while another process
// makes its first table would be refused as lost).
func waitForCreators(ctx context.Context, root string) error {
	tables, err := findWarehouseTables(root)
	if err != nil {
		return err
	}
	for _, t := range tables {
		name := strings.TrimSuffix(filepath.Base(filepath.Dir(t.dir)), ".db") + "." + filepath.Base(t.dir)
		// Read-only is enough for flock, so a read-only lake waits too.
		f, err := os.Open(filepath.Join(root, "locks", "create."+name+".lock"))
		if errors.Is(err, os.ErrNotExist) {
			continue // never created by a process that took the lock
		}
		if err != nil {
			return err
		}
		for {
			busy, err := tryLock(f)
			if err != nil {
				f.Close()
				return err
			}
			if !busy {
				unlock(f)
				break
			}
			select {
			case <-ctx.Done():
				f.Close()
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
		f.Close()
	}
	return nil
}
