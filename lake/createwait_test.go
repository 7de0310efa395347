package lake

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// An empty catalog beside a first table's metadata is a table another
// process is creating while it holds the create lock: Open waits for it
// instead of calling the catalog lost, and says lost only once no creator
// holds the lock and the catalog still registers nothing. (Opening a lake
// while another process made its first table was refused as lost: 8 of 20
// runs of TestImport_FourAtOnce.)
func TestOpen_WaitsForTableCreator(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := Create(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lk, err := l.Lock(ctx, "create.corpus.raw", nil)
	if err != nil {
		t.Fatal(err)
	}
	meta := filepath.Join(dir, WarehouseDir, "corpus.db", "raw", "metadata")
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	// Metadata with history (a snapshot): an empty table's first metadata
	// is never counted as lost (TestEnsureTable_AfterACreatorWasKilled).
	if err := os.WriteFile(filepath.Join(meta, "00000-x.metadata.json"), []byte(`{"snapshots":[{"snapshot-id":1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		o, err := Open(ctx, dir)
		if err == nil {
			o.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Open returned while a creator held the lock: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	lk.Unlock()
	if err := <-done; !errors.Is(err, ErrCatalogLost) {
		t.Fatalf("Open after the creator left nothing registered: err = %v, want ErrCatalogLost", err)
	}
}
