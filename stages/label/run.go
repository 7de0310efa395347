// Package label is the only stage that spends money: it asks an oracle to
// score each compressed article and writes <filter>.labels, recording every
// call in <filter>.oracle_calls. Answers are cached by a key over everything
// that shapes them, journaled (fsync) before they count, and committed in
// batches. The entry point is Run; the oracles are in package oracle.
package label

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/label/oracle"
)

// Options configure a labeling run.
type Options struct {
	Filter *filters.Filter
	Oracle oracle.Oracle
	// Temperature and MaxTokens default to the filter's oracle settings.
	Temperature *float64
	MaxTokens   int
	Concurrency int
	// TargetCount stops after this many new labels (0: all).
	TargetCount int
	// MaxCost stops before the next call would take the run's cost past it (0: no limit).
	MaxCost float64
	// Estimate makes no calls: it counts cache misses, tokens and cost.
	Estimate bool
	// Full labels every compressed article again (cache hits cost nothing).
	Full bool
	// BatchSize is how many outcomes go into one Iceberg commit; a commit
	// also happens every FlushEvery. The journal, not the commit, makes an
	// answer safe, so batches can be large.
	BatchSize  int
	FlushEvery time.Duration
	// SyncEvery is the journal's group-commit window: answers are written
	// as they arrive, and one fsync covers all written within it (a power
	// cut can lose at most this much; a killed process loses nothing).
	SyncEvery time.Duration
	// RPM limits requests per minute (0: no limit).
	RPM float64
	// TPM limits tokens per minute (0: no limit), a token bucket charged
	// with each call's expected tokens (prompt characters / 4 + max output).
	TPM float64
	// MaxAttempts bounds retries of rate limits, server errors and timeouts.
	MaxAttempts int
	// Backoff is the first retry delay (doubled each time, with jitter, capped at a minute).
	Backoff time.Duration
	// StopAfterFailures stops the run with ErrFailing once this many
	// articles in a row failed with one error class and no answer came
	// between them (0: 10; negative: never). A run whose every call failed
	// returns ErrFailing whatever this is.
	StopAfterFailures int
	// Progress, when set, is called after every article.
	Progress func(Result)
}

func (o *Options) defaults() {
	if o.Temperature == nil {
		t := o.Filter.Oracle.Temperature
		o.Temperature = &t
	}
	if o.MaxTokens == 0 {
		o.MaxTokens = o.Filter.Oracle.MaxOutputTokens
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 30 * time.Second
	}
	if o.SyncEvery <= 0 {
		o.SyncEvery = 50 * time.Millisecond
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.StopAfterFailures == 0 {
		o.StopAfterFailures = 10
	}
}

// Result summarises a run.
type Result struct {
	// Input is the compressed snapshot labeled (lineage of every commit).
	Input   *lake.Snapshot `json:"-"`
	Oracle  string         `json:"oracle"`
	Model   string         `json:"model"`
	RowsIn  int64          `json:"rows_in"`
	RowsOut int64          `json:"rows_out"` // labels written
	Labeled int64          `json:"labeled"`  // new answers paid for
	Cached  int64          `json:"cached"`   // answers taken from oracle_calls
	// Shared counts labels that reuse an answer this run asked for another
	// article with the same rendered prompt (no call, no cost).
	Shared       int64            `json:"shared"`
	Recovered    int64            `json:"recovered_from_journal"`
	Failed       int64            `json:"failed"`
	FailedBy     map[string]int64 `json:"failed_by_class,omitempty"`
	Calls        int64            `json:"calls"`
	Rejected     int64            `json:"rejected"`
	Duplicates   int64            `json:"duplicates"`
	AlreadyDone  int64            `json:"already_labeled"`
	TokensIn     int64            `json:"tokens_in"`
	TokensOut    int64            `json:"tokens_out"`
	Cost         float64          `json:"cost_usd"`
	Unpriced     bool             `json:"unpriced,omitempty"`
	Stopped      string           `json:"stopped,omitempty"` // why the run ended early
	Seconds      float64          `json:"seconds"`
	LabelsPerSec float64          `json:"labels_per_s"`
	SnapshotSeq  int64            `json:"snapshot"`
	// Committed is the label rows this run's snapshots of the labels table
	// added, as the snapshots record them: RowsOut plus Recovered when
	// every answer reached the lake.
	Committed int64 `json:"committed"`
	// Syncs is how many fsyncs of the journal covered Synced answers.
	Syncs  int64 `json:"journal_syncs"`
	Synced int64 `json:"journal_synced"`
	// Estimate fields (Options.Estimate).
	Misses       int64   `json:"cache_misses,omitempty"`
	ExpectedIn   int64   `json:"expected_tokens_in,omitempty"`
	ExpectedOut  int64   `json:"expected_tokens_out,omitempty"`
	ExpectedCost float64 `json:"expected_cost_usd,omitempty"`
}

// item is one article to label.
type item struct {
	id, text, inputSHA, prompt, promptSHA, key string
}

// group is the articles of one run that share a rendered prompt (so a
// cache key): the lead is asked, its twins get its answer, and none is paid
// for twice.
type group struct {
	lead  item
	twins []item
}

// groupByKey groups items by cache key, in the order of their first item.
func groupByKey(items []item) []group {
	at := map[string]int{}
	var gs []group
	for _, it := range items {
		if i, ok := at[it.key]; ok {
			gs[i].twins = append(gs[i].twins, it)
			continue
		}
		at[it.key] = len(gs)
		gs = append(gs, group{lead: it})
	}
	return gs
}

// CacheKey is the hash of everything that shapes an answer; schema is the
// response schema's JSON (json.Marshal sorts map keys: stable).
func CacheKey(kind, model, prompt string, schema []byte, temperature float64, maxTokens int) string {
	sb := schema
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%g\x00%d", kind, model, prompt, sb, temperature, maxTokens)
	return hex.EncodeToString(h.Sum(nil))
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Run labels the compressed articles of opts.Filter with opts.Oracle.
func Run(ctx context.Context, l *lake.Lake, opts Options) (res Result, err error) {
	start := time.Now()
	opts.defaults()
	f, orc := opts.Filter, opts.Oracle
	res.FailedBy = map[string]int64{}
	res.Oracle, res.Model = orc.Kind(), orc.Model()
	defer func() {
		res.Seconds = time.Since(start).Seconds()
		if res.Seconds > 0 {
			res.LabelsPerSec = float64(res.RowsOut) / res.Seconds
		}
	}()
	w, err := openWriter(ctx, l, f, &res)
	if err != nil {
		return res, err
	}
	defer w.j.close()
	defer func() { res.Committed = w.committed.Load() }()
	items, cache, err := plan(ctx, l, f, orc, opts, &res)
	if err != nil {
		return res, err
	}
	price, priced := priceOf(f, orc.Kind(), orc.Model())
	res.Unpriced = !priced
	if opts.Estimate {
		estimate(items, cache, price, opts, &res)
		return res, nil
	}
	return res, w.label(ctx, items, cache, price, opts)
}

// openWriter makes sure the tables exist, opens the journal, and commits
// what a run that died left in it: paid answers come first.
func openWriter(ctx context.Context, l *lake.Lake, f *filters.Filter, res *Result) (*writer, error) {
	for _, t := range []struct {
		name lake.TableName
		s    lake.Schema
	}{{LabelsTable(f), LabelsSchema(f)}, {CallsTable(f), CallsSchema}} {
		if err := l.EnsureTable(ctx, t.name, t.s); err != nil {
			return nil, err
		}
	}
	w := &writer{l: l, f: f, res: res}
	var err error
	w.j, err = openJournal(l, filepath.Join(l.Root, "journal"), f.Namespace()+".labels")
	if err != nil {
		return nil, err
	}
	if err := w.recover(ctx); err != nil {
		w.j.close()
		return nil, err
	}
	return w, nil
}

// plan lists the articles to label and loads the cache of good answers.
func plan(ctx context.Context, l *lake.Lake, f *filters.Filter, orc oracle.Oracle, opts Options, res *Result) ([]item, map[string]call, error) {
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, nil, err
	}
	defer sess.Close()
	crel, csnap, err := sess.Relation(ctx, lake.Ref{TableName: compress.Table(f)})
	if err != nil {
		if errors.Is(err, lake.ErrNoTable) {
			return nil, nil, ErrNoCompressed
		}
		return nil, nil, err
	}
	if csnap == nil {
		return nil, nil, ErrNoCompressed
	}
	res.Input = csnap
	lrel, _, err := sess.Relation(ctx, lake.Ref{TableName: LabelsTable(f)})
	if err != nil {
		return nil, nil, err
	}
	// An article is done when it has a label from the same oracle, model,
	// prompt and parameters (its own id and the cache key): never by the
	// key alone, which articles with the same text share.
	done, err := sess.StringSet(ctx, "SELECT id || '|' || cache_key FROM "+lrel)
	if err != nil {
		return nil, nil, err
	}
	schema := schemaJSON(f)
	rows, err := sess.Query(ctx, "SELECT id, text, text_sha256 FROM "+crel+" ORDER BY id")
	if err != nil {
		return nil, nil, err
	}
	var items []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.id, &it.text, &it.inputSHA); err != nil {
			rows.Close()
			return nil, nil, err
		}
		res.RowsIn++
		it.prompt = f.RenderPrompt(it.text)
		it.promptSHA = sha(it.prompt)
		it.key = CacheKey(orc.Kind(), orc.Model(), it.prompt, schema, *opts.Temperature, opts.MaxTokens)
		if done[it.id+"|"+it.key] && !opts.Full {
			res.AlreadyDone++
			continue
		}
		items = append(items, it)
	}
	rows.Close()
	cache := map[string]call{}
	crel2, _, err := sess.Relation(ctx, lake.Ref{TableName: CallsTable(f)})
	if err != nil {
		return nil, nil, err
	}
	rows, err = sess.Query(ctx, "SELECT cache_key, response, coalesce(tokens_in, 0), coalesce(tokens_out, 0) FROM "+crel2+" WHERE status = 'ok'")
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c call
		if err := rows.Scan(&c.Key, &c.Response, &c.TokensIn, &c.TokensOut); err != nil {
			return nil, nil, err
		}
		cache[c.Key] = c
	}
	return items, cache, rows.Err()
}

func estimate(items []item, cache map[string]call, price filters.Price, opts Options, res *Result) {
	outTokens := int64(len(opts.Filter.Dimensions)*35 + 20) // a score and a short sentence per dimension
	asked := map[string]bool{}
	for _, it := range items {
		if _, ok := cache[it.key]; ok {
			res.Cached++
			continue
		}
		if asked[it.key] {
			res.Shared++ // the answer asked for its twin serves it
			continue
		}
		asked[it.key] = true
		res.Misses++
		in := int64(len(it.prompt)/4 + 1) // ~4 characters a token
		res.ExpectedIn += in
		res.ExpectedOut += outTokens
	}
	res.ExpectedCost = cost(price, int(res.ExpectedIn), int(res.ExpectedOut))
}

// label asks the oracle for every item with a pool of workers; one goroutine
// journals, counts and commits the outcomes.
func (w *writer) label(ctx context.Context, items []item, cache map[string]call, price filters.Price, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		reserved float64 // cost of calls in flight, estimated
		spent    float64
		stopErr  error
		stopped  string // why the run ends early: Result.Stopped once every worker is done
		newCount int
		// The run's failures: the first error, whether any call was
		// answered, and the current streak of one class.
		firstErr    string
		answered    bool
		streak      int
		streakClass oracle.Class
		streakFirst string
	)
	stop := func(reason string, err error) {
		mu.Lock()
		if stopped == "" {
			stopped, stopErr = reason, err
		}
		mu.Unlock()
		cancel()
	}
	var limiter <-chan time.Time
	if opts.RPM > 0 {
		t := time.NewTicker(time.Duration(float64(time.Minute) / opts.RPM))
		defer t.Stop()
		limiter = t.C
	}
	var tokens *tokenBucket
	if opts.TPM > 0 {
		tokens = newTokenBucket(opts.TPM)
	}
	estCost := func(it item) float64 {
		return cost(price, len(it.prompt)/4+1, opts.MaxTokens/4)
	}
	// admit reserves the budget for one call, or refuses when it would pass MaxCost
	// or TargetCount is reached.
	admit := func(it item) bool {
		mu.Lock()
		defer mu.Unlock()
		if opts.TargetCount > 0 && newCount >= opts.TargetCount {
			return false
		}
		if opts.MaxCost > 0 && spent+reserved+estCost(it) > opts.MaxCost {
			return false
		}
		newCount++
		reserved += estCost(it)
		return true
	}
	settle := func(it item, paid float64, labeled bool) {
		mu.Lock()
		reserved -= estCost(it)
		spent += paid
		if !labeled {
			newCount--
		}
		mu.Unlock()
	}
	// failing notes an article's outcome and returns ErrFailing once
	// StopAfterFailures articles in a row failed with one class.
	failing := func(e entry, err error) error {
		mu.Lock()
		defer mu.Unlock()
		if e.Label != nil {
			answered, streak = true, 0
			return nil
		}
		if err == nil || len(e.Calls) == 0 {
			return nil
		}
		class, text := oracle.ClassOf(err), oracle.Redact(err.Error())
		if firstErr == "" {
			firstErr = text
		}
		if streak == 0 || class != streakClass {
			streak, streakClass, streakFirst = 0, class, text
		}
		streak++
		if opts.StopAfterFailures > 0 && streak == opts.StopAfterFailures {
			return fmt.Errorf("%w: %d articles in a row failed with class %s; the first error: %s", ErrFailing, streak, class, streakFirst)
		}
		return nil
	}
	work := make(chan group)
	// Workers hand finished entries over without waiting for the journal.
	out := make(chan entry, opts.Concurrency)
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range work {
				it := g.lead
				if tokens != nil && !tokens.take(ctx, float64(len(it.prompt)/4+opts.MaxTokens)) {
					settle(it, 0, false)
					continue
				}
				e, err := w.ask(ctx, it, price, opts, limiter)
				var paid float64
				for _, c := range e.Calls {
					paid += c.Cost
				}
				settle(it, paid, e.Label != nil)
				if e.Label != nil {
					e.Shared = w.share(e.Label, g.twins)
				} else {
					e.twins = len(g.twins)
				}
				if len(e.Calls) > 0 || e.Label != nil {
					out <- e
				}
				if ctx.Err() == nil {
					if reason := failing(e, err); reason != nil {
						stop("failing", reason)
					}
				}
				switch oracle.ClassOf(err) {
				case oracle.Auth:
					stop("auth", ErrAuth)
				case oracle.Quota:
					stop("quota", fmt.Errorf("%w: %s; everything done so far is committed, rerun the same command later to resume", ErrQuota, oracle.Redact(err.Error())))
				}
			}
		}()
	}
	go func() {
		defer close(work)
		for _, g := range groupByKey(items) {
			it := g.lead
			if c, ok := cache[it.key]; ok {
				// A cache hit: no call, no cost.
				if s, err := Parse(w.f, c.Response); err == nil {
					c.Oracle, c.Model = opts.Oracle.Kind(), opts.Oracle.Model() // both are in the key
					for _, it := range append([]item{it}, g.twins...) {
						select {
						case out <- entry{Label: w.row(it, s, c, 0, true)}:
						case <-ctx.Done():
							return
						}
					}
					continue
				}
			}
			if !admit(it) {
				mu.Lock()
				if stopped == "" {
					if opts.TargetCount > 0 && newCount >= opts.TargetCount {
						stopped = "target_count"
					} else {
						stopped = "max_cost"
					}
				}
				mu.Unlock()
				return
			}
			select {
			case work <- g:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()
	// Every answer is written to the journal the moment it arrives (a kill
	// -9 loses nothing written), then counts once an fsync covers it: one
	// fsync serves every answer written within SyncEvery of the first
	// (group commit), instead of one a label. A batch goes to the committer
	// with its sealed journal file, so answers keep being journaled while it
	// commits; the file is removed once the batch is in the lake.
	//
	// When the journal fails, answers are kept in memory and committed at
	// the end (the commit makes them durable). When a commit fails, nothing
	// more is committed and no journal file is removed: the next run commits
	// what they hold.
	type batch struct {
		entries []entry
		sealed  string
	}
	var (
		cmu       sync.Mutex
		commitErr error
		lastSeq   int64
	)
	failed := func() bool { cmu.Lock(); defer cmu.Unlock(); return commitErr != nil }
	batches := make(chan batch, 4)
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		for b := range batches {
			if failed() {
				continue // its sealed file stays for the next run
			}
			// Paid answers are committed even when the run is stopping.
			seq, err := w.commitOnly(context.WithoutCancel(ctx), b.entries)
			if err == nil {
				err = w.j.remove(b.sealed)
				if err != nil {
					err = fmt.Errorf("%w: %v", errNotEmptied, err)
				}
			}
			cmu.Lock()
			if seq > 0 {
				lastSeq = seq
			}
			if err != nil && commitErr == nil {
				commitErr = err
			}
			cmu.Unlock()
			if err != nil {
				stop("commit", err)
			}
		}
	}()
	var pending, unsynced []entry
	var memOnly []entry // answers no journal file is known to hold (the journal failed)
	var journalErr error
	keep := func(es ...entry) {
		for _, e := range es {
			w.count(e, opts)
		}
		pending = append(pending, es...)
	}
	keepInMemory := func(es ...entry) {
		keep(es...)
		memOnly = append(memOnly, es...)
	}
	flush := time.NewTicker(opts.FlushEvery)
	defer flush.Stop()
	syncT := time.NewTimer(opts.SyncEvery)
	syncT.Stop()
	defer syncT.Stop()
	for done := false; !done; {
		flushNow := false
		select {
		case e, ok := <-out:
			if !ok {
				done = true
				break
			}
			if journalErr != nil {
				keepInMemory(e)
				continue
			}
			if err := w.j.write(e); err != nil {
				journalErr = err
				stop("journal", err)
				keepInMemory(append(unsynced, e)...)
				unsynced = nil
				continue
			}
			if len(unsynced) == 0 {
				syncT.Reset(opts.SyncEvery)
			}
			unsynced = append(unsynced, e)
			if len(pending)+len(unsynced) < opts.BatchSize {
				continue
			}
		case <-syncT.C:
		case <-flush.C:
			flushNow = true
		}
		if len(unsynced) > 0 {
			syncT.Stop()
			if err := w.j.sync(); err != nil {
				journalErr = err
				stop("journal", err)
				keepInMemory(unsynced...)
			} else {
				w.res.Syncs++
				w.res.Synced += int64(len(unsynced))
				keep(unsynced...) // durable before it counts
			}
			unsynced = unsynced[:0]
		}
		if len(pending) > 0 && (flushNow || done || len(pending) >= opts.BatchSize) && journalErr == nil && !failed() {
			// Everything in the journal file is in pending, and synced.
			sealed, err := w.j.seal()
			if err != nil {
				journalErr = err
				stop("journal", err)
				continue
			}
			batches <- batch{pending, sealed}
			pending = nil
		}
	}
	close(batches)
	<-committed
	if lastSeq > 0 {
		w.res.SnapshotSeq = lastSeq
	}
	switch {
	case journalErr != nil && commitErr == nil && len(pending) > 0:
		// Every batch is in the lake: commit the rest, what the journal
		// could not keep included, and empty the journal.
		if err := w.commit(context.WithoutCancel(ctx), pending); err != nil {
			commitErr = err
			if !errors.Is(err, errNotEmptied) {
				commitErr = fmt.Errorf("%w; the journal failed too (%v): %d answers were lost", err, journalErr, len(memOnly))
			}
		}
	case commitErr != nil && len(memOnly) > 0:
		// The journal keeps its files for the next run (which skips what is
		// already in the lake); what only memory holds is committed now.
		seq, err := w.commitOnly(context.WithoutCancel(ctx), memOnly)
		if err != nil {
			commitErr = fmt.Errorf("%w; the journal failed too (%v): %d answers were lost", commitErr, journalErr, len(memOnly))
		} else if seq > 0 {
			w.res.SnapshotSeq = seq
		}
	}
	mu.Lock()
	w.res.Stopped = stopped
	mu.Unlock()
	if journalErr != nil && commitErr == nil {
		commitErr = journalErr
	}
	if commitErr != nil {
		return commitErr
	}
	if stopErr != nil {
		return stopErr
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if !answered && firstErr != "" {
		return fmt.Errorf("%w: all %d calls failed; the first error: %s", ErrFailing, w.res.Calls, firstErr)
	}
	return nil
}

// ask labels one item: calls with retries by error class, and one second
// ask with the validation error when the answer does not validate.
func (w *writer) ask(ctx context.Context, it item, price filters.Price, opts Options, limiter <-chan time.Time) (entry, error) {
	var e entry
	prompt, key, promptSHA := it.prompt, it.key, it.promptSHA
	schema := schemaJSON(w.f)
	attempts := 0
	for reask := 0; reask < 2; reask++ {
		for try := 0; try < opts.MaxAttempts; try++ {
			if limiter != nil {
				select {
				case <-limiter:
				case <-ctx.Done():
					return e, ctx.Err()
				}
			}
			attempts++
			t0 := time.Now()
			resp, err := opts.Oracle.Call(ctx, oracle.Request{Prompt: prompt, Input: it.text, SchemaJSON: schema, Temperature: *opts.Temperature, MaxTokens: opts.MaxTokens})
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
			key = CacheKey(opts.Oracle.Kind(), opts.Oracle.Model(), prompt, schema, *opts.Temperature, opts.MaxTokens)
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

var schemaCache sync.Map // filter sha256 -> encoded response schema

// schemaJSON is the filter's response schema, encoded once per filter version.
func schemaJSON(f *filters.Filter) []byte {
	if b, ok := schemaCache.Load(f.SHA256); ok {
		return b.([]byte)
	}
	b, _ := json.Marshal(oracle.ResponseSchema(f))
	schemaCache.Store(f.SHA256, b)
	return b
}
