package diff

import "errors"

// Sentinel errors returned (wrapped with the table they concern) by Run.
var (
	// ErrOptions means the options are incomplete or out of range.
	ErrOptions = errors.New("diff: bad options")
	// ErrNoKey means neither side has a column to match rows by.
	ErrNoKey = errors.New("no key column to match rows by")
	// ErrEmpty means the table has no snapshot to compare yet.
	ErrEmpty = errors.New("no snapshot yet")
)
