package lake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/apache/iceberg-go/table"
)

// Errors of the storage under the lake, which no retry fixes: a full disk,
// a read-only folder or catalog. storageError names them with the file they
// concern; the retry loop gives up on them at once.

// storageError wraps err in ErrDiskFull or ErrReadOnly, naming the file
// (from a *fs.PathError) when it can; other errors come back unchanged.
func storageError(err error) error {
	if err == nil {
		return nil
	}
	var sentinel error
	switch {
	case errors.Is(err, ErrDiskFull), errors.Is(err, ErrReadOnly):
		return err
	case diskFull(err) || sqliteCode(err)&0xff == sqliteFull || sqliteCode(err) == sqliteIOErrShm || strings.Contains(err.Error(), "no space left on device") ||
		strings.Contains(err.Error(), "database or disk is full") || strings.Contains(err.Error(), "SQLITE_FULL"):
		sentinel = ErrDiskFull
	case readOnly(err) || errors.Is(err, fs.ErrPermission) || strings.Contains(err.Error(), "readonly database") ||
		strings.Contains(err.Error(), "SQLITE_READONLY") || strings.Contains(err.Error(), "read-only file system"):
		sentinel = ErrReadOnly
	default:
		return err
	}
	hint := ""
	if sentinel == ErrReadOnly {
		hint = " (the folder, file system or catalog.db cannot be written: give write permission and rerun)"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%w%s (writing %s): %w", sentinel, hint, pe.Path, err)
	}
	return fmt.Errorf("%w%s: %w", sentinel, hint, err)
}

// writeError picks, of the errors a failed write returned, the one that says
// why: iceberg-go's "writer is closed" only says an earlier write failed.
func writeError(errs []error) error {
	for _, err := range errs {
		if !errors.Is(err, table.ErrWriterClosed) && !errors.Is(err, context.Canceled) {
			return storageError(err)
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}
