package lake

import (
	"context"
	"errors"
	"fmt"
)

// ctxError makes err match ctx's error (errors.Is with context.Canceled or
// context.DeadlineExceeded) when ctx is done, keeping err's text and
// sentinels. A cancelled context reaches the lake in many disguises:
// database/sql rolls back the iceberg catalog's transaction, which then
// reports "transaction has already been committed or rolled back"; DuckDB
// says "INTERRUPT Error: Interrupted!". Callers tell a stopped run from a
// failed one by errors.Is, so the lake's choke points (session queries,
// catalog calls, commits, scans, writes) pass what they return through here.
func ctxError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	done := ctx.Err()
	if done == nil || errors.Is(err, done) {
		return err
	}
	return fmt.Errorf("%w: %w", done, err)
}
