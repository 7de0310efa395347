package spec

import (
	"errors"
	"fmt"
	"strings"

	"github.com/distillery/distillery/lake"
)

// ErrNotReady matches every NeedError: an input a stage reads has no
// snapshot (or no rows it can use) yet. Test with errors.Is.
var ErrNotReady = errors.New("input not ready")

// NeedError says that a stage cannot run until another has: Table has no
// snapshot yet, and Stage writes it. It matches ErrNotReady and, through
// Err, the stage's own sentinel when it has one.
type NeedError struct {
	// Table is the missing input.
	Table lake.TableName
	// Stage writes Table: the one to run first.
	Stage *Spec
	// What says what is missing, e.g. "no prefilter decisions for this filter"
	// (default: "<table> has no snapshot yet").
	What string
	// Err is a more specific sentinel the error also matches (may be nil).
	Err error
}

// Need is the error for table t of filter ns missing, naming its writer.
func Need(t *Table, ns string, what string, err error) *NeedError {
	return &NeedError{Table: t.In(ns), Stage: WriterOf(t), What: what, Err: err}
}

func (e *NeedError) Error() string {
	what := e.What
	if what == "" {
		what = e.Table.String() + " has no snapshot yet"
	}
	if e.Stage == nil {
		return what
	}
	return fmt.Sprintf("%s: run %s first", what, command(e.Stage.Usage))
}

// command quotes a stage's Usage as code; an alternative the Usage gives in
// parentheses, already quoted, stays outside the quotes.
func command(usage string) string {
	if cmd, alt, ok := strings.Cut(usage, " (or "); ok {
		return "`" + cmd + "` (or " + alt
	}
	return "`" + usage + "`"
}

// Hint tells the user what to do.
func (e *NeedError) Hint() string {
	if e.Stage == nil {
		return ""
	}
	return fmt.Sprintf("%s is written by %s; run it, then this command again", e.Table, command(e.Stage.Usage))
}

// Is makes every NeedError match ErrNotReady.
func (e *NeedError) Is(target error) bool { return target == ErrNotReady }

// Unwrap is the stage's own sentinel, if any.
func (e *NeedError) Unwrap() error { return e.Err }
