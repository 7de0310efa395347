package filters

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every validation failure of a filter package.
var ErrInvalid = errors.New("invalid filter package")

// FieldError names the file and field of a filter package that is wrong.
type FieldError struct {
	File  string // e.g. filters/uplifting/v1/filter.yaml
	Field string // e.g. dimensions[2].weight
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Field, e.Msg)
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
	s := fmt.Sprintf("%d problem(s) in the filter package:", len(es))
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
