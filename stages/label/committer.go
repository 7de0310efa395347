package label

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/distillery/distillery/internal/human"
)

// committer journals, counts and commits a run's outcomes.
//
// Every answer is written to the journal the moment it arrives (a kill -9
// loses nothing written), then counts once an fsync covers it: one fsync
// serves every answer written within SyncEvery of the first (group
// commit), instead of one a label. A batch goes to the commit goroutine
// with its sealed journal file, so answers keep being journaled while it
// commits; the file is removed once the batch is in the lake.
//
// When the journal fails, answers are kept in memory and committed at the
// end (the commit makes them durable). When a commit fails, nothing more is
// committed and no journal file is removed: the next run commits what they
// hold.
type committer struct {
	w    *writer
	opts Options
	// ctx is the run's; commits ignore its cancellation (paid answers are
	// committed even when the run is stopping).
	ctx  context.Context
	stop func(reason string, err error)

	// Owned by the loop (drain and finish).
	pending    []entry // synced, not yet handed to a commit
	unsynced   []entry // written to the journal, not yet synced
	memOnly    []entry // answers no journal file is known to hold (the journal failed)
	journalErr error
	syncT      *time.Timer

	// flush, when it has a value, commits what is pending at once.
	flush <-chan struct{}

	batches   chan batch
	committed chan struct{}

	// Shared with the commit goroutine.
	mu        sync.Mutex
	commitErr error
	lastSeq   int64
}

// batch is the entries of one commit and the sealed journal file holding them.
type batch struct {
	entries []entry
	sealed  string
}

func newCommitter(ctx context.Context, w *writer, opts Options, stop func(string, error)) *committer {
	c := &committer{w: w, opts: opts, ctx: ctx, stop: stop, batches: make(chan batch, 4), committed: make(chan struct{})}
	go c.commitBatches()
	return c
}

// commitBatches commits each batch and removes its sealed journal file,
// until the first failure; later batches' files stay for the next run.
func (c *committer) commitBatches() {
	defer close(c.committed)
	for b := range c.batches {
		if c.failed() {
			continue
		}
		seq, err := c.w.commitOnly(context.WithoutCancel(c.ctx), b.entries)
		if err == nil {
			err = c.w.j.remove(b.sealed)
			if err != nil {
				err = fmt.Errorf("%w: %v", errNotEmptied, err)
			}
		}
		c.mu.Lock()
		if seq > 0 {
			c.lastSeq = seq
		}
		if err != nil && c.commitErr == nil {
			c.commitErr = err
		}
		c.mu.Unlock()
		if err != nil {
			c.stop("commit", err)
		}
	}
}

func (c *committer) failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.commitErr != nil
}

// drain journals every entry of out until it closes, syncing within
// SyncEvery and handing a batch to the commit goroutine when BatchSize
// entries are synced or FlushEvery has passed.
func (c *committer) drain(out <-chan entry) {
	flush := time.NewTicker(c.opts.FlushEvery)
	defer flush.Stop()
	c.syncT = time.NewTimer(c.opts.SyncEvery)
	c.syncT.Stop()
	defer c.syncT.Stop()
	for done := false; !done; {
		flushNow := false
		select {
		case e, ok := <-out:
			if !ok {
				done = true
				break
			}
			if !c.journal(e) {
				continue
			}
		case <-c.syncT.C:
		case <-flush.C:
			flushNow = true
		case <-c.flush:
			flushNow = true
		}
		c.sync()
		if flushNow || done || len(c.pending) >= c.opts.BatchSize {
			c.seal()
		}
	}
}

// journal writes e to the journal and reports whether a batch is full.
func (c *committer) journal(e entry) bool {
	if c.journalErr != nil {
		c.keepInMemory(e)
		return false
	}
	if err := c.w.j.write(e); err != nil {
		c.journalFailed(err)
		c.keepInMemory(append(c.unsynced, e)...)
		c.unsynced = nil
		return false
	}
	if len(c.unsynced) == 0 {
		c.syncT.Reset(c.opts.SyncEvery)
	}
	c.unsynced = append(c.unsynced, e)
	return len(c.pending)+len(c.unsynced) >= c.opts.BatchSize
}

// sync makes the written entries durable; they count from then on.
func (c *committer) sync() {
	if len(c.unsynced) == 0 {
		return
	}
	c.syncT.Stop()
	if err := c.w.j.sync(); err != nil {
		c.journalFailed(err)
		c.keepInMemory(c.unsynced...)
	} else {
		c.w.res.Syncs++
		c.w.res.Synced += int64(len(c.unsynced))
		c.keep(c.unsynced...) // durable before it counts
	}
	c.unsynced = c.unsynced[:0]
}

// seal hands the pending entries, all of them synced and all the journal
// file holds, to the commit goroutine with that file.
func (c *committer) seal() {
	if len(c.pending) == 0 || c.journalErr != nil || c.failed() {
		return
	}
	sealed, err := c.w.j.seal()
	if err != nil {
		c.journalFailed(err)
		return
	}
	c.batches <- batch{c.pending, sealed}
	c.pending = nil
}

func (c *committer) keep(es ...entry) {
	for _, e := range es {
		c.w.count(e, c.opts)
	}
	c.pending = append(c.pending, es...)
}

func (c *committer) keepInMemory(es ...entry) {
	c.keep(es...)
	c.memOnly = append(c.memOnly, es...)
}

func (c *committer) journalFailed(err error) {
	c.journalErr = err
	c.stop("journal", err)
}

// finish waits for the commit goroutine, commits what the journal could
// not keep, and returns the first commit or journal error.
func (c *committer) finish() error {
	close(c.batches)
	<-c.committed
	w := c.w
	if c.lastSeq > 0 {
		w.res.Snapshot = c.lastSeq
	}
	ctx := context.WithoutCancel(c.ctx)
	switch {
	case c.journalErr != nil && c.commitErr == nil && len(c.pending) > 0:
		// Every batch is in the lake: commit the rest, what the journal
		// could not keep included, and empty the journal.
		if err := w.commit(ctx, c.pending); err != nil {
			c.commitErr = err
			if !errors.Is(err, errNotEmptied) {
				c.commitErr = fmt.Errorf("%w; the journal failed too (%v): lost %s", err, c.journalErr, human.Plural(int64(len(c.memOnly)), "answer"))
			}
		}
	case c.commitErr != nil && len(c.memOnly) > 0:
		// The journal keeps its files for the next run (which skips what is
		// already in the lake); what only memory holds is committed now.
		seq, err := w.commitOnly(ctx, c.memOnly)
		if err != nil {
			c.commitErr = fmt.Errorf("%w; the journal failed too (%v): lost %s", c.commitErr, c.journalErr, human.Plural(int64(len(c.memOnly)), "answer"))
		} else if seq > 0 {
			w.res.Snapshot = seq
		}
	}
	if c.journalErr != nil && c.commitErr == nil {
		return c.journalErr
	}
	return c.commitErr
}
