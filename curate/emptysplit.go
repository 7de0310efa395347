package curate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/distillery/distillery/lake"
)

// ErrEmptySplit means a split a command needs has no articles, ErrTinySplit
// fewer than the command can use (both returned inside an EmptySplitError).
var (
	ErrEmptySplit = errors.New("the split has no articles")
	ErrTinySplit  = errors.New("the split has too few articles")
)

// EmptySplitError says which split is empty, what the others hold, and how
// to give it articles: a command that needs it stops before it writes,
// rather than writing "0 articles" and leaving the next command to fail.
type EmptySplitError struct {
	// Splits is the splits snapshot read, e.g. f.splits@3; Split the one
	// needed; Counts the articles of each split there.
	Splits string
	Split  string
	Counts map[string]int64
	// Other is what else the command can do, e.g. "or predict another
	// split (--split val|train|all)".
	Other string
	// Min, when set, is the fewest articles the command works with: a
	// split with some but fewer is tiny.
	Min int64
}

func (e *EmptySplitError) Error() string {
	n := e.Counts[e.Split]
	counts := fmt.Sprintf("(train %d, val %d, test %d)", e.Counts["train"], e.Counts["val"], e.Counts["test"])
	msg := fmt.Sprintf("split %s of %s has no articles %s: give it a share with "+
		"`distill split --fresh --ratios 0.8,0.1,0.1` (the old split stays readable by time travel)", e.Split, e.Splits, counts)
	if n > 0 {
		msg = fmt.Sprintf("split %s of %s has only %d articles %s, under the %d needed: label more articles, or give it a larger share with "+
			"`distill split --fresh --ratios ...` (the old split stays readable by time travel)", e.Split, e.Splits, n, counts, e.Min)
	}
	if e.Other != "" {
		msg += ", " + e.Other
	}
	return msg
}

func (e *EmptySplitError) Unwrap() error {
	if e.Counts[e.Split] > 0 {
		return ErrTinySplit
	}
	return ErrEmptySplit
}

// SplitCounts counts the articles of each split of splitsRel (a relation of
// <filter>.splits), excluded ones aside.
func SplitCounts(ctx context.Context, sess *lake.Session, splitsRel string) (map[string]int64, error) {
	if err := sess.Input(ctx, "splits_input", splitsRel); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	err := sess.EachFile(ctx, "students/split_counts", nil, func(r *sql.Rows) error {
		var s string
		var n int64
		if err := r.Scan(&s, &n); err != nil {
			return err
		}
		out[s] = n
		return nil
	})
	return out, err
}
