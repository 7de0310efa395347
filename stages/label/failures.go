package label

import (
	"fmt"
	"sync"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/stages/label/oracle"
)

// failures follows a run's failures: the first error, whether any call was
// answered, and the current streak of articles failed with one class.
type failures struct {
	mu        sync.Mutex
	stopAfter int
	firstErr  string
	answered  bool
	streak    int
	class     oracle.Class
	first     string // the first error of the streak
}

// note records an article's outcome and returns ErrFailing once stopAfter
// articles in a row failed with one class.
func (f *failures) note(e entry, err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e.Label != nil {
		f.answered, f.streak = true, 0
		return nil
	}
	if err == nil || len(e.Calls) == 0 {
		return nil
	}
	class, text := oracle.ClassOf(err), oracle.Redact(err.Error())
	if f.firstErr == "" {
		f.firstErr = text
	}
	if f.streak == 0 || class != f.class {
		f.streak, f.class, f.first = 0, class, text
	}
	f.streak++
	if f.stopAfter > 0 && f.streak == f.stopAfter {
		return fmt.Errorf("%w: %s in a row failed with class %s; the first error: %s", ErrFailing, human.Plural(int64(f.streak), "article"), class, f.first)
	}
	return nil
}

// allFailed is ErrFailing when calls were made and none was answered.
func (f *failures) allFailed(calls int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.answered && f.firstErr != "" {
		all := fmt.Sprintf("all %d calls", calls)
		if calls == 1 {
			all = "the only call"
		}
		return fmt.Errorf("%w: %s failed; the first error: %s", ErrFailing, all, f.firstErr)
	}
	return nil
}
