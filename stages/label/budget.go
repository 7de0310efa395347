package label

import (
	"context"
	"sync"
	"time"

	"github.com/distillery/distillery/filters"
)

// budget admits calls while the run's target count and cost allow: each
// admitted call reserves its estimated cost until it settles with what it
// really cost, so calls in flight count against MaxCost.
type budget struct {
	mu        sync.Mutex
	target    int
	maxCost   float64
	price     filters.Price
	maxTokens int
	reserved  float64 // cost of calls in flight, estimated
	spent     float64
	newCount  int // admitted calls, less those that labeled nothing
}

func newBudget(opts Options, price filters.Price) *budget {
	return &budget{target: opts.TargetCount, maxCost: opts.MaxCost, price: price, maxTokens: opts.MaxTokens}
}

// estimate is an item's expected cost: its prompt and a quarter of the
// output allowance.
func (b *budget) estimate(it item) float64 {
	return cost(b.price, promptTokens(it.prompt), b.maxTokens/4)
}

// admit reserves the budget for one call of it, or refuses with the
// Result.Stopped reason (target_count, max_cost).
func (b *budget) admit(it item) (ok bool, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.target > 0 && b.newCount >= b.target {
		return false, "target_count"
	}
	if b.maxCost > 0 && b.spent+b.reserved+b.estimate(it) > b.maxCost {
		return false, "max_cost"
	}
	b.newCount++
	b.reserved += b.estimate(it)
	return true, ""
}

// settle replaces an admitted call's reservation with what it cost; a call
// that labeled nothing gives its place in the target count back.
func (b *budget) settle(it item, paid float64, labeled bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reserved -= b.estimate(it)
	b.spent += paid
	if !labeled {
		b.newCount--
	}
}

// throttle holds the run's rate limits: a tick per request (RPM) and a
// token bucket charged with each call's expected tokens (TPM). Nil fields
// are no limit.
type throttle struct {
	ticker *time.Ticker
	tokens *tokenBucket
}

func newThrottle(opts Options) *throttle {
	t := &throttle{}
	if opts.RPM > 0 {
		t.ticker = time.NewTicker(time.Duration(float64(time.Minute) / opts.RPM))
	}
	if opts.TPM > 0 {
		t.tokens = newTokenBucket(opts.TPM)
	}
	return t
}

// requests is the channel a call waits on before it is sent (nil: no limit).
func (t *throttle) requests() <-chan time.Time {
	if t.ticker == nil {
		return nil
	}
	return t.ticker.C
}

// takeTokens waits for n tokens; false if ctx ends first.
func (t *throttle) takeTokens(ctx context.Context, n float64) bool {
	return t.tokens == nil || t.tokens.take(ctx, n)
}

func (t *throttle) stop() {
	if t.ticker != nil {
		t.ticker.Stop()
	}
}

// tokenBucket allows perMinute tokens a minute, refilled continuously; a
// request larger than a minute's worth waits for a full bucket.
type tokenBucket struct {
	mu        sync.Mutex
	perMinute float64
	level     float64
	last      time.Time
}

func newTokenBucket(perMinute float64) *tokenBucket {
	return &tokenBucket{perMinute: perMinute, level: perMinute, last: time.Now()}
}

// take waits until n tokens are available and takes them; false if ctx ends first.
func (b *tokenBucket) take(ctx context.Context, n float64) bool {
	n = min(n, b.perMinute)
	for {
		b.mu.Lock()
		now := time.Now()
		b.level = min(b.perMinute, b.level+now.Sub(b.last).Minutes()*b.perMinute)
		b.last = now
		if b.level >= n {
			b.level -= n
			b.mu.Unlock()
			return true
		}
		wait := time.Duration((n - b.level) / b.perMinute * float64(time.Minute))
		b.mu.Unlock()
		if !sleep(ctx, wait) {
			return false
		}
	}
}
