package diff

import (
	"fmt"

	"github.com/distillery/distillery/lake"
)

// Options name the two snapshots to compare.
type Options struct {
	// A is the older side: a table at a sequence number or tag, or at its
	// current snapshot. When A has no @ and B is unset, A is the snapshot
	// before the current one (the last change), or an empty table when the
	// current snapshot is the first.
	A lake.Ref
	// B is the newer side; unset, it is A's table at its current snapshot.
	// It may name another table (e.g. the labels of another namespace).
	B lake.Ref
	// Key is the column rows are matched by. Empty: cache_key for an
	// oracle_calls table, else id, else cache_key.
	Key string
	// Examples is how many keys of each status (added, removed, changed) to
	// list; 0 lists none.
	Examples int
}

// DefaultExamples is the number of example keys the CLI lists by default.
const DefaultExamples = 5

// Validate checks the options.
func (o *Options) Validate() error {
	if o.A.Table == "" {
		return fmt.Errorf("%w: no table to diff", ErrOptions)
	}
	if o.Examples < 0 {
		return fmt.Errorf("%w: examples must be 0 or more, got %d", ErrOptions, o.Examples)
	}
	return nil
}

// sides returns the references to compare, and whether A means "the
// snapshot before B" (A without @ and no B).
func (o Options) sides() (a, b lake.Ref, previous bool) {
	if o.B.Table == "" {
		return o.A, lake.Ref{TableName: o.A.TableName}, o.A.At == ""
	}
	return o.A, o.B, false
}
