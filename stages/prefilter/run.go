// Package prefilter is the cheap screen before anyone pays for a label: it
// decides every raw article with a filter's rules and writes one row per
// article, passed or not, with the reason, to <filter>.prefiltered. The entry
// points are Run and WhatIf; Compile and Rules.Decide are the rules alone.
package prefilter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// ErrNoRaw means there is nothing to decide: corpus.raw has no snapshot
// (returned inside a spec.NeedError naming ingest).
var ErrNoRaw = errors.New("no articles ingested")

// Options configure a prefilter run.
type Options struct {
	Filter *filters.Filter `yaml:"-"`
	// Raw is the input, corpus.raw at its current snapshot unless pinned.
	Raw lake.Ref `yaml:"-"`
	// Full decides every article again, as a new snapshot replacing the table.
	Full bool `yaml:"full"`
	// Waiting, when set, gets the line saying that another prefilter run
	// holds the table (nil: the line goes to standard error).
	Waiting func(msg string) `yaml:"-"`
}

// Validate checks the options and fills defaults.
func (o *Options) Validate() error {
	if o.Filter == nil {
		return errors.New("prefilter: no filter")
	}
	if o.Raw.Table == "" {
		o.Raw = spec.Raw.Ref(nil)
	}
	return nil
}

// Result summarises a run. Each count is counted on its own, from what was
// read or written, so that RowsIn = RowsOut + AlreadyDecided + Duplicates
// and RowsOut = Passed + Blocked are checks, not definitions. RowsIn is the
// rows of corpus.raw at the snapshot read, RowsOut the decisions written
// (counted by the table writer); Mode is incremental, full (rules changed
// or --full) or none.
type Result struct {
	spec.Summary
	Passed  int64 `json:"passed"`
	Blocked int64 `json:"blocked"`
	// AlreadyDecided is the raw rows that had a decision (incremental runs).
	AlreadyDecided int64 `json:"already_decided"`
	// Duplicates is the raw rows whose id was already decided in this run:
	// one decision per id, whatever the input holds.
	Duplicates int64            `json:"duplicates"`
	ByReason   map[string]int64 `json:"by_reason,omitempty"`
	// BlockedBy is each rule with the articles it blocked in this run (and
	// how many of those already have labels), most first.
	BlockedBy []RuleCount `json:"blocked_by"`
}

// Run decides the articles of corpus.raw not yet decided by this filter
// version (all of them when the filter's files changed, or with Full) and
// commits the decisions as one snapshot.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	start := time.Now()
	res := &Result{Summary: spec.Start(spec.Prefilter, l.RunID)}
	if err := opts.Validate(); err != nil {
		return res, err
	}
	f := opts.Filter
	rules, err := Compile(f)
	if err != nil {
		return res, err
	}
	out := spec.Prefiltered.For(f)
	if err := spec.Prefiltered.Ensure(ctx, l, f); err != nil {
		return res, err
	}
	// One run at a time per table, from reading what is decided to the commit.
	lock, err := spec.Prefilter.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return res, err
	}
	defer lock.Unlock()
	cur, err := l.Current(ctx, out)
	if err != nil {
		return res, err
	}
	full := opts.Full || cur == nil || cur.Filter != f.Ref()
	res.Mode = "incremental"
	if full {
		res.Mode = "full"
	}
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return res, err
	}
	defer sess.Close()
	rawRel, rawSnap, err := sess.Relation(ctx, opts.Raw)
	if err != nil {
		return res, err
	}
	if rawSnap == nil {
		return res, spec.Need(spec.Raw, "", "", ErrNoRaw)
	}
	res.SetInputs(*rawSnap)
	// The labels are read only to warn about rules that block labeled
	// articles: they are no input of the decisions, so not in the lineage.
	labeled := "false"
	if lrel, err := labeledRelation(ctx, l, sess, f); err != nil {
		return res, err
	} else if lrel != "" {
		labeled = "EXISTS (SELECT 1 FROM " + lrel + " l WHERE l.id = r.id)"
	}
	q := "SELECT id, title, content, coalesce(url, ''), coalesce(source, ''), coalesce(published_date, ''), " + labeled + " FROM " + rawRel + " r"
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM "+rawRel, &res.RowsIn); err != nil {
		return res, err
	}
	if !full {
		curRel, _, err := sess.Relation(ctx, cur.Ref())
		if err != nil {
			return res, err
		}
		decided := "EXISTS (SELECT 1 FROM " + curRel + " p WHERE p.id = r.id)"
		q += " WHERE NOT " + decided
		if err := sess.QueryRow(ctx, "SELECT count(*) FROM "+rawRel+" r WHERE "+decided, &res.AlreadyDecided); err != nil {
			return res, err
		}
	}
	q += " ORDER BY id"
	res.ByReason = map[string]int64{}
	blocked := ruleTally{}
	now := time.Now()
	pending, err := l.WriteRows(ctx, out, func(rb *lake.RowBuilder) error {
		rows, err := sess.Query(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		last := ""
		for rows.Next() && !rb.Stopped() {
			var a Article
			var hasLabel bool
			if err := rows.Scan(&a.ID, &a.Title, &a.Content, &a.URL, &a.Source, &a.PublishedDate, &hasLabel); err != nil {
				return err
			}
			if a.ID == last { // rows come ordered by id
				res.Duplicates++
				continue
			}
			last = a.ID
			d := rules.Decide(a)
			if d.Passed {
				res.Passed++
			} else {
				res.Blocked++
				blocked.add(d.Rule, hasLabel)
			}
			res.ByReason[d.Reason]++
			rb.String("id", a.ID)
			rb.Bool("passed", d.Passed)
			rb.String("reason", d.Reason)
			rb.String("rule", d.Rule)
			rb.Long("raw_sequence", rawSnap.Seq)
			rb.String("filter_sha256", f.SHA256)
			rb.Time("decided_at", now)
			rb.String("run_id", l.RunID)
			rb.Int("filter_version", int32(f.Version))
			rb.EndRow()
		}
		return rows.Err()
	})
	if err != nil {
		return res, fmt.Errorf("decide %s: %w", opts.Raw, err)
	}
	res.RowsOut = pending.Rows()
	res.BlockedBy = blocked.sorted()
	res.Warnings = append(res.Warnings, labeledWarnings(res.BlockedBy, "blocks", "labeled article", spec.Labels.For(f),
		"; `distill prefilter --what-if EDITED_FILTER` shows what a looser rule would change")...)
	commit := lake.Commit{Stage: spec.Prefilter.Name, Inputs: []lake.Snapshot{*rawSnap}, Filter: f.Ref(), Replace: full,
		Params: map[string]any{"mode": res.Mode, "raw": rawSnap.Ref().String()}}
	snap, err := pending.Commit(ctx, commit)
	if err != nil {
		return res, err
	}
	if res.RowsOut == 0 && !full {
		res.Mode = "none"
	}
	res.Finish(out, snap, start)
	return res, nil
}
