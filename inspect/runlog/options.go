package runlog

import (
	"fmt"

	"github.com/distillery/distillery/lake"
)

// Options choose which runs to list.
type Options struct {
	// Table limits the log to runs that wrote this table (zero: every table).
	Table lake.TableName
	// Limit keeps the most recent entries (0: all).
	Limit int
}

// Validate checks the options.
func (o *Options) Validate() error {
	if o.Limit < 0 {
		return fmt.Errorf("%w: limit must be 0 or more, got %d", ErrOptions, o.Limit)
	}
	return nil
}
