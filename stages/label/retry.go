package label

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/label/oracle"
)

// ask labels one item: calls with retries by error class, and one second
// ask with the validation error when the answer does not validate. Each
// request is counted against the daily quota first: the item's first uses
// the room the feeder reserved; when a later one finds none, the item ends
// with a *dailyQuotaError.
func (w *writer) ask(ctx context.Context, it item, price filters.Price, opts Options, limiter <-chan time.Time, quota *dailyQuota) (entry, error) {
	var e entry
	prompt, key, promptSHA := it.prompt, it.key, it.promptSHA
	schema := w.schema
	attempts := 0
	reserved := true // the feeder's reservation, until the first request uses it
	defer func() {
		if reserved {
			quota.release()
		}
	}()
	for reask := 0; reask < 2; reask++ {
		for try := 0; try < opts.MaxAttempts; try++ {
			if limiter != nil {
				select {
				case <-limiter:
				case <-ctx.Done():
					return e, ctx.Err()
				}
			}
			if ok, next := quota.take(reserved); !ok {
				return e, &dailyQuotaError{next: next}
			}
			reserved = false
			attempts++
			t0 := time.Now()
			resp, err := opts.Oracle.Call(ctx, w.set.request(prompt, it.text, schema, opts, it.repeat))
			c := call{Key: key, ID: it.id, Oracle: opts.Oracle.Kind(), Model: opts.Oracle.Model(), PromptSHA: promptSHA,
				Response: oracle.Redact(resp.Text), TokensIn: resp.TokensIn, TokensOut: resp.TokensOut, Cost: cost(price, resp.TokensIn, resp.TokensOut),
				LatencyMS: time.Since(t0).Milliseconds(), Attempt: attempts, Temperature: *opts.Temperature, MaxTokens: opts.MaxTokens, CalledAt: t0.UTC()}
			if err != nil {
				if ctx.Err() != nil {
					return e, ctx.Err() // the run stopped: not a failure of this article
				}
				var oe *oracle.Error
				c.Status, c.Class, c.Error = "failed", string(oracle.ClassOf(err)), oracle.Redact(err.Error())
				if errors.As(err, &oe) {
					c.HTTP = oe.Status
				}
				e.Calls = append(e.Calls, c)
				if errors.As(err, &oe) && oe.Retryable() && try+1 < opts.MaxAttempts {
					if !sleep(ctx, backoff(opts.Backoff, try, oe.RetryAfter)) {
						return e, ctx.Err()
					}
					continue
				}
				return e, err
			}
			scores, perr := Parse(w.f, resp.Text)
			if perr == nil {
				c.Status = "ok"
				e.Calls = append(e.Calls, c)
				e.Label = w.row(it, scores, c, attempts, false)
				e.Label.Cost, e.Label.TokensIn, e.Label.TokensOut = 0, 0, 0
				for _, cc := range e.Calls {
					e.Label.Cost += cc.Cost
					e.Label.TokensIn += cc.TokensIn
					e.Label.TokensOut += cc.TokensOut
				}
				return e, nil
			}
			// Paid for, but unusable: recorded as failed (never served from the
			// cache), then asked once more with the validation error.
			c.Status, c.Class, c.Error = "failed", string(oracle.Invalid), oracle.Redact(perr.Error())
			e.Calls = append(e.Calls, c)
			prompt = it.prompt + "\n\nYour previous answer was rejected: " + perr.Error() +
				". Answer again with one JSON object holding every dimension, each score an integer from 0 to 10."
			key = RepeatKey(w.set.cacheKey(opts.Oracle.Kind(), opts.Oracle.Model(), prompt, schema, *opts.Temperature, opts.MaxTokens), it.repeat)
			promptSHA = sha(prompt)
			break
		}
	}
	return e, &oracle.Error{Class: oracle.Invalid, Msg: "the answer did not validate twice"}
}

func backoff(base time.Duration, try int, retryAfter time.Duration) time.Duration {
	d := base * time.Duration(math.Pow(2, float64(try)))
	d = d/2 + time.Duration(rand.Int64N(int64(d)/2+1)) // jitter
	d = min(d, time.Minute)
	return max(d, retryAfter)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
