// Package progress draws a progress bar on stderr for runs longer than a
// couple of seconds, and nothing when stderr is not a terminal. Start returns
// a *Bar; call Set as work advances and Done at the end.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// Delay is how long a run goes before its bar appears.
const Delay = 2 * time.Second

// Bar is a lazily shown progress bar. The zero of its methods is safe on nil.
type Bar struct {
	done, total atomic.Int64
	note        atomic.Value // string shown after the bar, e.g. rates and cost
	stop        chan struct{}
	wg          sync.WaitGroup
}

// Start begins tracking; the bar is drawn on w only when w is a terminal and
// the work lasts longer than Delay. Units are bytes when bytes is set.
func Start(w io.Writer, label string, bytes bool) *Bar {
	f, ok := shown(w)
	if !ok {
		return nil
	}
	b := &Bar{stop: make(chan struct{})}
	b.wg.Add(1)
	go b.run(f, label, bytes)
	return b
}

func (b *Bar) run(w io.Writer, label string, bytes bool) {
	defer b.wg.Done()
	select {
	case <-b.stop:
		return
	case <-time.After(Delay):
	}
	p := mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
	counter := decor.CountersNoUnit("%d / %d")
	if bytes {
		counter = decor.Counters(decor.SizeB1024(0), "% .1f / % .1f")
	}
	bar := p.AddBar(max(b.total.Load(), 1),
		mpb.PrependDecorators(decor.Name(label+" "), counter),
		mpb.AppendDecorators(decor.Percentage(), decor.Name(" "), decor.EwmaETA(decor.ET_STYLE_GO, 30),
			decor.Any(func(decor.Statistics) string {
				if n, ok := b.note.Load().(string); ok {
					return "  " + n
				}
				return ""
			})))
	tick := time.NewTicker(150 * time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-b.stop:
			bar.SetTotal(b.total.Load(), false)
			bar.SetCurrent(b.done.Load())
			bar.SetTotal(-1, true)
			p.Wait()
			return
		case <-tick.C:
			bar.SetTotal(max(b.total.Load(), 1), false)
			bar.EwmaSetCurrent(b.done.Load(), time.Since(last))
			last = time.Now()
		}
	}
}

// Set records progress: done of total units.
func (b *Bar) Set(done, total int64) {
	if b == nil {
		return
	}
	b.done.Store(done)
	b.total.Store(total)
}

// Note sets a short text shown after the bar (rates, errors, cost).
func (b *Bar) Note(s string) {
	if b == nil {
		return
	}
	b.note.Store(s)
}

// Done removes the bar (if it was drawn) and waits for it.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	close(b.stop)
	b.wg.Wait()
}

// Terminal is w as the terminal it is, or false when it is not one (a file,
// a pipe, a buffer): only a person at a terminal gets prompts.
func Terminal(w any) (*os.File, bool) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, false
	}
	return f, true
}

// shown is w when bars and timers are drawn on it: a terminal, and
// DISTILL_NO_PROGRESS not set.
func shown(w io.Writer) (*os.File, bool) {
	if os.Getenv("DISTILL_NO_PROGRESS") != "" {
		return nil, false
	}
	return Terminal(w)
}

// ElapsedDelay is how long work runs before Elapsed shows its time: quick
// work prints nothing more.
const ElapsedDelay = time.Second

// Elapsed shows, on w when it is a terminal, how long the work named label
// has run, for work that has no count to draw a bar from (a split takes
// seconds on a large corpus). stop clears the line.
func Elapsed(w io.Writer, label string) (stop func()) {
	f, ok := shown(w)
	if !ok {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		tick := time.NewTicker(ElapsedDelay)
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
