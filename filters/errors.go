package filters

import (
	"errors"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/strictyaml"
)

// ErrInvalid is wrapped by every validation failure of a filter package.
var ErrInvalid = errors.New("invalid filter package")

// ErrChanged means a package's files changed between Load and a copy of them.
var ErrChanged = errors.New("filter package changed")

// FieldError names the file and field of a filter package that is wrong.
type FieldError struct {
	File  string // e.g. filters/uplifting/v1/filter.yaml
	Line  int    // of the field's key in File; 0 when unknown
	Field string // e.g. dimensions[2].weight
	Msg   string
}

// Error is "file:line: field: problem", the line and field left out when
// unknown, so editors and terminals can jump to it.
func (e *FieldError) Error() string {
	return strictyaml.Problem{Line: e.Line, Key: e.Field, Msg: e.Msg}.Format(e.File)
}

// Unwrap makes every FieldError an ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Hint tells the user how to act.
func (e *FieldError) Hint() string {
	return "fix the field and run `distill filter validate DIR`; `distill filter new NAME` shows a valid package"
}

// Errors is every problem found in one package.
type Errors []*FieldError

func (es Errors) Error() string {
	s := human.Plural(int64(len(es)), "problem") + " in the filter package:"
	for _, e := range es {
		s += "\n  " + e.Error()
	}
	return s
}

// Unwrap returns the individual errors.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Hint tells the user how to act.
func (es Errors) Hint() string { return es[0].Hint() }
