package pipeline

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// elapsedDelay is how long a stage runs before its elapsed time shows: the
// quick ones print nothing more than their start line.
const elapsedDelay = time.Second

// showElapsed shows, on w when it is a terminal, how long the stage label
// has run, for stages that draw no progress bar of their own (split takes
// seconds on a large corpus). stop clears the line.
func showElapsed(w io.Writer, label string) (stop func()) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || os.Getenv("DISTILL_NO_PROGRESS") != "" {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		tick := time.NewTicker(elapsedDelay)
		defer tick.Stop()
		shown := false
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(f, "\r\033[K")
				}
				return
			case <-tick.C:
				fmt.Fprintf(f, "\r\033[K%s: %s", label, time.Since(start).Round(time.Second))
				shown = true
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
