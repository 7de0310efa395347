package label

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/label/oracle"
)

// pool asks the oracle for a run's items: one goroutine feeds groups of
// items to Concurrency workers, serving cache hits itself; every outcome
// goes out on out, which closes once the last worker is done.
type pool struct {
	w      *writer
	opts   Options
	price  filters.Price
	cache  map[string]call
	budget *budget
	quota  *dailyQuota
	limits *throttle
	fails  *failures
	cancel context.CancelFunc
	out    chan entry

	// elsewhere and takenOver count for Result.Elsewhere and TakenOver.
	elsewhere, takenOver atomic.Int64
	// flush asks the committer to commit what it holds now: the feed
	// waits for keys other workers hold, and they may wait for ours.
	flush chan struct{}

	mu      sync.Mutex
	stopped string // why the run ends early: Result.Stopped once every worker is done
	stopErr error
	next    time.Time // when the daily quota has room again (stopped "rpd")
}

func newPool(w *writer, cache map[string]call, price filters.Price, quota *dailyQuota, opts Options, cancel context.CancelFunc) *pool {
	return &pool{w: w, opts: opts, price: price, cache: cache, cancel: cancel,
		budget: newBudget(opts, price), quota: quota, limits: newThrottle(opts),
		fails: &failures{stopAfter: opts.StopAfterFailures}, flush: make(chan struct{}, 1),
		// Workers hand finished entries over without waiting for the journal.
		out: make(chan entry, opts.Concurrency)}
}

// start feeds items to the workers; the pool's out closes when all is done.
func (p *pool) start(ctx context.Context, items []item) {
	work := make(chan group)
	var wg sync.WaitGroup
	for range p.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range work {
				p.ask(ctx, g)
			}
		}()
	}
	go p.feed(ctx, items, work)
	go func() { wg.Wait(); close(p.out) }()
}

// stop ends the run early for reason (the first reason given wins).
func (p *pool) stop(reason string, err error) {
	p.note(reason, err)
	p.cancel()
}

// note records why the run ends without cancelling what is in flight.
func (p *pool) note(reason string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped == "" {
		p.stopped, p.stopErr = reason, err
	}
}

// noteQuota records that the daily quota (Options.RPD) ends the run, and
// when a request may next be made: no error, a rerun then resumes.
func (p *pool) noteQuota(next time.Time) {
	p.note("rpd", nil)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped == "rpd" && (p.next.IsZero() || next.Before(p.next)) {
		p.next = next
	}
}

// reason is why the run ended early ("" when it did not), its error, and
// when a request may next be made if the daily quota ended it.
func (p *pool) reason() (string, error, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped, p.stopErr, p.next
}

// feed hands each group to a worker, or labels it from the cache (no call,
// no cost), until the budget refuses or the run stops.
func (p *pool) feed(ctx context.Context, items []item, work chan<- group) {
	defer close(work)
	var held []group // claimed by a live worker elsewhere: asked for later
	for _, g := range groupByKey(items) {
		it := g.lead
		if c, ok := p.cache[it.key]; ok {
			if s, err := Parse(p.w.f, c.Response); err == nil {
				c.Oracle, c.Model = p.opts.Oracle.Kind(), p.opts.Oracle.Model() // both are in the key
				for _, it := range append([]item{it}, g.twins...) {
					select {
					case p.out <- entry{Label: p.w.row(it, s, c, 0, true)}:
					case <-ctx.Done():
						return
					}
				}
				continue
			}
		}
		if p.w.claims != nil {
			switch p.claim(ctx, g) {
			case skip:
				continue
			case later:
				held = append(held, g)
				continue
			}
		}
		if !p.send(ctx, g, work) {
			return
		}
	}
	p.waitHeld(ctx, held, work)
}

// send hands g to a worker once the daily quota and the budget admit it; it
// reports whether feeding goes on.
func (p *pool) send(ctx context.Context, g group, work chan<- group) bool {
	it := g.lead
	if ok, next := p.quota.reserve(); !ok {
		p.noteQuota(next)
		p.release(g)
		return false
	}
	if ok, reason := p.budget.admit(it); !ok {
		p.quota.release()
		p.note(reason, nil)
		p.release(g)
		return false
	}
	select {
	case work <- g:
		return true
	case <-ctx.Done():
		p.release(g)
		return false
	}
}

// ask labels one group's lead, gives its twins the answer, and stops the
// run on failures no other article would escape.
func (p *pool) ask(ctx context.Context, g group) {
	it := g.lead
	if !p.limits.takeTokens(ctx, float64(len(it.prompt)/4+p.opts.MaxTokens)) {
		p.budget.settle(it, 0, false)
		p.quota.release()
		p.release(g)
		return
	}
	e, err := p.w.ask(ctx, it, p.price, p.opts, p.limits.requests(), p.quota)
	var paid float64
	for _, c := range e.Calls {
		paid += c.Cost
	}
	p.budget.settle(it, paid, e.Label != nil)
	if e.Label != nil {
		e.Shared = p.w.share(e.Label, g.twins)
	} else {
		e.twins = len(g.twins)
	}
	p.paid(ctx, g, e)
	if len(e.Calls) > 0 || e.Label != nil {
		p.out <- e
	}
	var qe *dailyQuotaError
	if errors.As(err, &qe) {
		p.noteQuota(qe.next) // not the oracle failing: the run ends, cleanly
		return
	}
	if ctx.Err() == nil {
		if reason := p.fails.note(e, err); reason != nil {
			p.stop("failing", reason)
		}
	}
	switch oracle.ClassOf(err) {
	case oracle.Auth:
		p.stop("auth", ErrAuth)
	case oracle.Quota:
		p.stop("quota", fmt.Errorf("%w: %s; everything done so far is committed, rerun the same command later to resume", ErrQuota, oracle.Redact(err.Error())))
	}
}
