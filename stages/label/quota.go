package label

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// quotaWindow is the span Options.RPD counts requests over: a rolling day.
const quotaWindow = 24 * time.Hour

// dailyQuota holds Options.RPD: the requests of one oracle model in the
// last 24 hours, those oracle_calls holds and this run's, may not pass
// limit. The feeder reserves a request for each item it hands a worker
// (its first), so the calls in flight never take the run past the limit;
// a retry or a second ask takes one more, or ends the item. A nil
// *dailyQuota is no limit.
type dailyQuota struct {
	mu       sync.Mutex
	limit    int
	stamps   []time.Time // requests made, oldest first (those older than the window are dropped)
	reserved int         // items handed out whose first request is not made yet
	now      func() time.Time
}

// loadQuota reads the requests kind and model made in the last 24 hours
// from <filter>.oracle_calls (nil when rpd is 0: no limit).
func loadQuota(ctx context.Context, l *lake.Lake, f *filters.Filter, kind, model string, rpd int) (*dailyQuota, error) {
	if rpd <= 0 {
		return nil, nil
	}
	q := &dailyQuota{limit: rpd, now: time.Now}
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	rel, err := relationIfAny(ctx, sess, spec.OracleCalls.For(f))
	if err != nil || rel == "" {
		return q, err
	}
	if err := sess.Input(ctx, "oracle_calls_input", rel); err != nil {
		return nil, err
	}
	since := q.now().Add(-quotaWindow)
	err = sess.EachFile(ctx, "label/recent_requests", lake.Params{"oracle": kind, "model": model, "since": since},
		func(rows *sql.Rows) error {
			var t time.Time
			if err := rows.Scan(&t); err != nil {
				return err
			}
			q.stamps = append(q.stamps, t)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("the requests of the last 24 hours (--rpd): %w", err)
	}
	return q, nil
}

// reserve holds a request for an item about to be handed to a worker; when
// the day's quota has no room it returns false and when a request may next
// be made.
func (q *dailyQuota) reserve() (bool, time.Time) {
	if q == nil {
		return true, time.Time{}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if next, full := q.full(); full {
		return false, next
	}
	q.reserved++
	return true, time.Time{}
}

// release gives back the reservation of an item that made no request.
func (q *dailyQuota) release() {
	if q == nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.reserved--
}

// take counts a request about to be made: reserved says it is an item's
// first, whose room reserve held; any other needs room now, or take
// returns false and when a request may next be made.
func (q *dailyQuota) take(reserved bool) (bool, time.Time) {
	if q == nil {
		return true, time.Time{}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if reserved {
		q.reserved--
	} else if next, full := q.full(); full {
		return false, next
	}
	q.stamps = append(q.stamps, q.now())
	return true, time.Time{}
}

// full drops the requests older than the window and reports whether the
// window has room for no other request, with when it next will: once the
// oldest requests holding it full are a day old (a day from now when
// reservations alone fill it).
func (q *dailyQuota) full() (time.Time, bool) {
	now := q.now()
	q.stamps = slices.DeleteFunc(q.stamps, func(t time.Time) bool { return !t.After(now.Add(-quotaWindow)) })
	over := len(q.stamps) + q.reserved - q.limit // requests to age out before the next
	if over < 0 {
		return time.Time{}, false
	}
	if over >= len(q.stamps) {
		return now.Add(quotaWindow), true
	}
	slices.SortFunc(q.stamps, func(a, b time.Time) int { return a.Compare(b) })
	return q.stamps[over].Add(quotaWindow), true
}

// dailyQuotaError ends an item whose next request the daily quota has no
// room for; the run then stops as it does at its target count.
type dailyQuotaError struct{ next time.Time }

func (e *dailyQuotaError) Error() string {
	return "the daily request quota (--rpd) is used up until " + e.next.UTC().Format(time.RFC3339)
}
