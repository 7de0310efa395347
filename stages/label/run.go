// Package label is the only stage that spends money: it asks an oracle to
// score each compressed article and writes <filter>.labels, recording every
// call in <filter>.oracle_calls. Answers are cached by a key over everything
// that shapes them, journaled (fsync) before they count, and committed in
// batches. The entry point is Run; the oracles are in package oracle.
package label

import (
	"context"
	"path/filepath"
	"slices"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label/oracle"
)

// Run labels the compressed articles of opts.Filter with opts.Oracle.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	res := &Result{Summary: spec.Start(spec.Label, l.RunID), FailedBy: map[string]int64{}}
	if err := opts.Validate(); err != nil {
		return res, err
	}
	opts.defaults()
	f, orc := opts.Filter, opts.Oracle
	res.Oracle, res.Model = orc.Kind(), orc.Model()
	res.Mode = map[bool]string{false: "incremental", true: "full"}[opts.Full]
	if opts.Estimate {
		res.Mode = "estimate"
	}
	res.Table = spec.Labels.For(f).String()
	if opts.Repeat > 1 && *opts.Temperature == 0 && orc.Kind() != "keywords" && orc.Kind() != "simulate" {
		res.Warn("--repeat %d at temperature 0: a model that answers the same every time shows no noise in its repeats; ask at the temperature its labels are made at", opts.Repeat)
	}
	if orc.Kind() == "keywords" || orc.Kind() == "simulate" {
		for _, d := range oracle.Blind(f) {
			res.Warn("dimension %s has no keywords: the keywords oracle scores it 0 for every article (give it keywords or keyword_levels in %s)", d, filters.ConfigFile)
		}
	}
	defer func() {
		if res.Input != nil {
			res.SetInputs(*res.Input)
		}
		// A run that committed nothing reports the labels as it found them,
		// as every stage does.
		if res.Snapshot == 0 && !opts.Estimate {
			if cur, err := l.Current(context.WithoutCancel(ctx), spec.Labels.For(f)); err == nil && cur != nil {
				res.SetOutput(spec.Labels.For(f), cur)
			}
		}
		res.Seconds = time.Since(start).Seconds()
		if res.Seconds > 0 {
			res.LabelsPerSec = float64(res.RowsOut) / res.Seconds
		}
	}()
	set := resolveSettings(opts, res)
	w, err := openWriter(ctx, l, f, set, res, true)
	if err != nil {
		return res, err
	}
	defer w.close()
	defer func() { res.Committed = w.committed.Load() }()
	w.params = lineageParams(opts, set)
	w.full, w.since = opts.Full, start
	items, cache, err := plan(ctx, l, w, orc, opts, res)
	if err != nil {
		return res, err
	}
	price, priced := priceOf(f, orc.Kind(), orc.Model())
	res.Unpriced = !priced
	if opts.Estimate {
		estimate(items, cache, price, set, opts, res)
		return res, nil
	}
	if err := checkPriced(f, orc.Model(), priced, opts); err != nil {
		return res, err
	}
	if !priced {
		res.Warn("%s has no known price: its labels' cost is recorded as $0; give it in %s (oracle.prices: {%s: {input: USD per 1M tokens, output: …}})",
			orc.Model(), filters.ConfigFile, orc.Model())
	}
	quota, err := loadQuota(ctx, l, f, orc.Kind(), orc.Model(), opts.RPD)
	if err != nil {
		return res, err
	}
	err = w.label(ctx, items, cache, price, quota, opts)
	if opts.plan != nil && (res.Stopped != "" || err != nil) {
		res.Warn("the selection %s stopped before labeling all it chose: rerun the same command to finish it (it chooses the same articles and labels only the rest); until then its labels' inclusion probabilities describe the whole selection, not the part labeled", res.Selection)
	}
	if k, ok := orc.(*oracle.Keywords); ok {
		blind := oracle.Blind(f)
		dims, calls := k.Silent()
		for _, d := range dims {
			if !slices.Contains(blind, d) {
				res.Warn("dimension %s scored 0 on all %s: none of its keywords occur in the texts (placeholders of filter new?); edit them in %s",
					d, human.Plural(calls, "article"), filters.ConfigFile)
			}
		}
	}
	return res, err
}

// lineageParams are the options that chose what a run labels and how it
// asked, recorded in its commits' Params beside the counts: a sample's
// size, stratification and seed, a selection's plan, budget and inputs,
// the repeats, the daily quota, the
// evidence mode and the thinking budget sent (settings.params).
func lineageParams(opts Options, set settings) map[string]any {
	p := map[string]any{}
	set.params(p)
	stratify := opts.Stratify
	if stratify == "" {
		stratify = StratifyNone
	}
	if opts.Sample > 0 {
		p["sample"], p["stratify"], p["seed"] = opts.Sample, stratify, opts.Seed
	}
	if opts.Select != "" {
		p["select"], p["budget"], p["seed"], p["stratify"] = opts.plan.String(), opts.Budget, opts.Seed, stratify
		if len(opts.Seeds) > 0 {
			p["seeds"] = opts.Seeds
		}
		if opts.Encoder != "" {
			p["encoder"] = opts.Encoder
		}
		if opts.SelectModel != "" {
			p["select_model"] = opts.SelectModel
		}
	}
	if opts.Repeat > 1 {
		p["repeat"] = opts.Repeat
	}
	if opts.RPD > 0 {
		p["rpd"] = opts.RPD
	}
	return p
}

// openWriter opens the journal and commits what a run that died left in
// it: paid answers come first. It creates no table: the first commit with
// rows for one does. set are the answer settings of the run's asks.
//
// workers (label's own runs, not batch jobs) lets runs on other machines
// label the same filter at once when the catalog is shared (workers.go).
func openWriter(ctx context.Context, l *lake.Lake, f *filters.Filter, set settings, res *Result, workers bool) (*writer, error) {
	w := &writer{l: l, f: f, res: res, set: set, schema: encodeSchema(f, set.evidence)}
	workers = workers && l.Shared()
	var err error
	w.j, err = openJournal(l, filepath.Join(l.Root, "journal"), f.Namespace()+".labels", spec.Labels.For(f), workers)
	if err != nil {
		return nil, err
	}
	if workers { // else one run at a time: the journal holds the table's lock
		if w.claims, err = l.Claims(ctx, "label "+spec.Labels.For(f).String(), "label "+f.Ref()); err != nil {
			w.j.close()
			return nil, err
		}
	}
	if err := w.recover(ctx); err != nil {
		w.claims.Close()
		w.j.close()
		return nil, err
	}
	return w, nil
}

// label asks the oracle for every item with a pool of workers while the
// committer journals, counts and commits the outcomes.
func (w *writer) label(ctx context.Context, items []item, cache map[string]call, price filters.Price, quota *dailyQuota, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := newPool(w, cache, price, quota, opts, cancel)
	defer p.limits.stop()
	p.start(ctx, items)
	c := newCommitter(ctx, w, opts, p.stop)
	c.flush = p.flush
	c.drain(p.out)
	commitErr := c.finish()
	w.res.Elsewhere, w.res.TakenOver = p.elsewhere.Load(), p.takenOver.Load()
	stopped, stopErr, next := p.reason()
	w.res.Stopped = stopped
	if stopped == "rpd" {
		w.res.NextRequestAt = &next
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
	return p.fails.allFailed(w.res.Calls)
}
