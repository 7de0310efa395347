package drift

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, wrapped with what they concern.
var (
	// ErrOptions means the options are incomplete or out of range.
	ErrOptions = errors.New("drift: bad options")
	// ErrNoScores means the filter has no scored article yet (inside a
	// spec.NeedError naming distill score).
	ErrNoScores = errors.New("no scored articles yet")
	// ErrDrift is what --fail-on-drift returns when a run flagged something.
	ErrDrift = errors.New("drift flagged")
)

// ExitDrift is the status distill drift --fail-on-drift exits with when
// something moved: 3, as distill gate's regression, so CI tells a verdict
// from a breakage (1).
const ExitDrift = 3

// FlaggedError is a drift run that flagged something, for --fail-on-drift:
// the run itself succeeded and was recorded.
type FlaggedError struct {
	Window string
	// Moved are the flagged rows in words.
	Moved []string
}

func (e *FlaggedError) Error() string {
	return fmt.Sprintf("drift: %s in window %s: %s", ErrDrift, e.Window, strings.Join(e.Moved, "; "))
}

func (e *FlaggedError) Unwrap() error { return ErrDrift }

// ExitStatus is the status distill exits with.
func (e *FlaggedError) ExitStatus() int { return ExitDrift }
