// Package runlog lists the runs that made the lake: one entry per run and
// output table, in time order, from the distill.* properties every snapshot
// carries (stage, run id, inputs, params, command), with the cost of the
// labels a run wrote. The entry point is Run.
package runlog

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Run reads every snapshot of every table (or of opts.Table) and groups
// them by run and table. It writes nothing.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	res := &Result{Entries: []Entry{}}
	if err := opts.Validate(); err != nil {
		return res, err
	}
	names, err := tables(ctx, l, opts.Table)
	if err != nil {
		return res, err
	}
	for _, n := range names {
		snaps, err := l.Snapshots(ctx, n)
		if err != nil {
			return res, err
		}
		res.Entries = append(res.Entries, group(n, snaps)...)
	}
	slices.SortStableFunc(res.Entries, func(a, b Entry) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := strings.Compare(a.RunID, b.RunID); c != 0 {
			return c
		}
		// A run's tables stamped with the same time, in pipeline order.
		if c := spec.Rank(a.name) - spec.Rank(b.name); c != 0 {
			return c
		}
		return strings.Compare(a.Table, b.Table)
	})
	if opts.Limit > 0 && len(res.Entries) > opts.Limit {
		res.Entries = res.Entries[len(res.Entries)-opts.Limit:]
	}
	if err := costs(ctx, l, res.Entries); err != nil {
		return res, err
	}
	return res, nil
}

// tables lists the tables the log reads: only, when it is set, else every
// table of the lake.
func tables(ctx context.Context, l *lake.Lake, only lake.TableName) ([]lake.TableName, error) {
	if only.Table != "" {
		return []lake.TableName{only}, nil
	}
	infos, err := l.Tables(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]lake.TableName, len(infos))
	for i, ti := range infos {
		names[i] = ti.Name
	}
	return names, nil
}

// costs fills CostUSD for entries that wrote a labels table: the cost of
// the rows with the run's id, read at the run's last snapshot of the table
// (later rebuilds cannot hide them there).
func costs(ctx context.Context, l *lake.Lake, entries []Entry) error {
	var sess *lake.Session
	defer func() {
		if sess != nil {
			sess.Close()
		}
	}()
	for i := range entries {
		e := &entries[i]
		if e.name != spec.Labels.In(e.name.Namespace) || e.RunID == "" {
			continue
		}
		ref := lake.Ref{TableName: e.name, At: strconv.FormatInt(e.Seq, 10)}
		sc, err := l.ArrowSchema(ctx, ref.TableName)
		if err != nil {
			return err
		}
		if len(sc.FieldIndices("cost_usd")) == 0 || len(sc.FieldIndices("run_id")) == 0 {
			continue
		}
		if sess == nil {
			if sess, err = l.Session(ctx, ""); err != nil {
				return err
			}
		}
		rel, _, err := sess.Relation(ctx, ref)
		if err != nil {
			return err
		}
		var cost float64
		err = sess.Input(ctx, "labels_input", rel)
		if err == nil {
			err = sess.QueryRowFile(ctx, "runlog/run_cost", lake.Params{"run_id": e.RunID}, &cost)
		}
		if err != nil {
			return fmt.Errorf("cost of run %s in %s: %w", e.RunID, ref, err)
		}
		e.CostUSD = &cost
	}
	return nil
}
