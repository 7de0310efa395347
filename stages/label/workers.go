package label

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Workers: on a shared (PostgreSQL) catalog several `distill label` runs,
// each on its own machine with its own lake folder and journal, label one
// filter at once. They split the articles through claims in the catalog
// database (lake.Claims, one per cache key: one ask), so no answer is paid
// for twice:
//   - the feed claims a group's key before it is asked; a key another live
//     worker holds is asked for again once that worker commits it (then it
//     is done) or dies (then its claim expires and this run takes it over);
//   - an answer is stored in its claim (Paid) before it counts, besides the
//     local journal: a worker that takes over a dead worker's claim commits
//     that answer with no call;
//   - a commit takes the labels table's lock for the commit only, leaves out
//     every label whose id and cache key the table already holds (an
//     anti-join, so no key is committed twice), and marks the keys done.
// What a dead worker loses is only its requests in flight: sent, not yet
// answered, paid for by the oracle's bill but known nowhere.

// claimState is what the feed does with a group.
type claimState int

const (
	ask   claimState = iota // this run holds the claim: ask
	skip                    // done elsewhere, or taken over and answered
	later                   // a live worker holds it: try again later
)

// close closes the claims (freeing those not asked for) and the journal.
func (w *writer) close() {
	if err := w.claims.Close(); err != nil {
		w.res.Warn("free this run's claims: %v (they expire after the lease TTL)", err)
	}
	w.j.close()
}

// claim claims g's key and says what to do with g. A dead worker's paid
// answer is handed to the committer here, shared with g's twins.
func (p *pool) claim(ctx context.Context, g group) claimState {
	st, paid, _, err := p.w.claims.Claim(ctx, g.lead.key)
	if err != nil {
		if ctx.Err() == nil {
			p.stop("claims", err)
		}
		return skip
	}
	switch st {
	case lake.DoneByOther:
		p.elsewhere.Add(int64(1 + len(g.twins)))
		return skip
	case lake.HeldByOther:
		return later
	}
	if paid == nil {
		return ask
	}
	var e entry
	if err := json.Unmarshal(paid, &e); err != nil || e.Label == nil {
		return ask // unreadable: ask again rather than lose the article
	}
	e.Shared, e.takenOver = p.w.share(e.Label, g.twins), true
	p.takenOver.Add(1)
	select {
	case p.out <- e:
	case <-ctx.Done():
	}
	return skip
}

// waitHeld asks again, every Claims.Poll, for the keys live workers held,
// until each is done elsewhere or claimed here.
func (p *pool) waitHeld(ctx context.Context, held []group, work chan<- group) {
	for len(held) > 0 {
		// The holders may be waiting for keys this run answered and has
		// not committed: commit them now rather than at the next batch.
		select {
		case p.flush <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(p.w.claims.Poll()):
		}
		var still []group
		for _, g := range held {
			switch p.claim(ctx, g) {
			case ask:
				if !p.send(ctx, g, work) {
					return
				}
			case later:
				still = append(still, g)
			}
		}
		held = still
	}
}

// release gives back g's claim when it was not asked.
func (p *pool) release(g group) {
	if p.w.claims != nil {
		p.w.claims.Release(context.Background(), g.lead.key)
	}
}

// paid stores a good answer in its claim before it counts, so that another
// worker commits it if this one dies; a failed ask gives its claim back.
func (p *pool) paid(ctx context.Context, g group, e entry) {
	if p.w.claims == nil {
		return
	}
	if e.Label == nil {
		p.release(g)
		return
	}
	b, err := json.Marshal(e)
	if err == nil {
		err = p.w.claims.Paid(context.WithoutCancel(ctx), g.lead.key, b)
	}
	if err != nil {
		p.stop("claims", err)
	}
}

// commitShared commits entries under the labels table's lock, held for the
// commit only, leaving out what another worker committed first, and marks
// their keys done.
func (w *writer) commitShared(ctx context.Context, entries []entry) (int64, error) {
	lock, err := w.l.LockTable(ctx, spec.Labels.For(w.f), spec.Label.Name, func(string) {})
	if err != nil {
		return 0, err
	}
	defer lock.Unlock()
	kept, keys, err := w.antiJoin(ctx, entries)
	if err != nil {
		return 0, err
	}
	seq, err := w.commitEntries(ctx, kept)
	if err != nil {
		return 0, err
	}
	return seq, w.claims.Done(ctx, keys)
}

// antiJoin drops the labels whose id and cache key the labels table holds
// and the calls oracle_calls holds (same key and time); it returns what is
// left and every key the entries answer (done once committed).
func (w *writer) antiJoin(ctx context.Context, entries []entry) ([]entry, []string, error) {
	sess, err := w.l.Session(ctx, w.f.Namespace())
	if err != nil {
		return nil, nil, err
	}
	defer sess.Close()
	q := "SELECT id || '|' || cache_key FROM %s"
	if w.full {
		// --full relabels what is done: only labels made since this run
		// began (by another worker) count (the machines' clocks compared).
		q += fmt.Sprintf(" WHERE epoch_us(labeled_at) >= %d", w.since.UnixMicro())
	}
	done, err := stringSet(ctx, sess, spec.Labels.For(w.f), q)
	if err != nil {
		return nil, nil, fmt.Errorf("commit: read the labels committed: %w", err)
	}
	seenCalls, err := stringSet(ctx, sess, spec.OracleCalls.For(w.f), "SELECT cache_key || '|' || epoch_us(called_at) FROM %s")
	if err != nil {
		return nil, nil, fmt.Errorf("commit: read the calls committed: %w", err)
	}
	var kept []entry
	var keys []string
	fresh := func(r *labelRow) bool {
		k := r.ID + "|" + r.CacheKey
		if done[k] {
			w.res.DroppedDone++
			return false
		}
		done[k] = true
		return true
	}
	for _, e := range entries {
		var keep entry
		for _, c := range e.Calls {
			if k := fmt.Sprintf("%s|%d", c.Key, c.CalledAt.UnixMicro()); !seenCalls[k] {
				seenCalls[k] = true
				keep.Calls = append(keep.Calls, c)
			}
		}
		if e.Label != nil {
			keys = append(keys, e.Label.CacheKey)
			if fresh(e.Label) {
				keep.Label = e.Label
			}
		}
		for _, r := range e.Shared {
			if fresh(r) {
				keep.Shared = append(keep.Shared, r)
			}
		}
		if len(keep.Calls) > 0 || keep.Label != nil || len(keep.Shared) > 0 {
			kept = append(kept, keep)
		}
	}
	return kept, keys, nil
}
