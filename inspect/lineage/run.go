// Package lineage follows one article through the lake: its rows in every
// table keyed by article id, in pipeline order (spec.ArticleTables:
// corpus.raw, then each filter namespace's prefiltered, compressed, labels,
// oracle_calls, splits and predictions), then the models that made its
// predictions, each row with the snapshot that added it. The entry point is
// Run.
package lineage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Run finds every row about opts.ID. It reads the lake and writes nothing.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	res := &Result{ID: opts.ID, Tables: []Table{}}
	if err := opts.Validate(); err != nil {
		return res, err
	}
	names, err := tablesWithID(ctx, l, opts.Namespace)
	if err != nil {
		return res, err
	}
	sess, err := l.Session(ctx, "")
	if err != nil {
		return res, err
	}
	defer sess.Close()
	found := false
	var searched []string
	for _, n := range names {
		searched = append(searched, n.String())
		t, err := tableRows(ctx, l, sess, n, opts.ID)
		if err != nil {
			return res, err
		}
		if t == nil {
			continue // no snapshot yet
		}
		found = found || len(t.Rows) > 0
		res.Tables = append(res.Tables, *t)
	}
	if !found {
		return res, fmt.Errorf("%w %q: no row in %s", ErrUnknownID, opts.ID, strings.Join(searched, ", "))
	}
	for _, n := range names {
		if registered(n) == spec.Predictions {
			if err := addModels(ctx, l, sess, spec.Models.In(n.Namespace), res); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// addModels lists, right after the article's predictions, the rows of
// models (table n) for the students that made them. An article has no row
// of its own there, so a namespace without predictions of it lists none.
func addModels(ctx context.Context, l *lake.Lake, sess *lake.Session, n lake.TableName, res *Result) error {
	preds := spec.Predictions.In(n.Namespace).String()
	at := slices.IndexFunc(res.Tables, func(t Table) bool { return t.Table == preds })
	if at < 0 {
		return nil
	}
	var ids []string
	for _, r := range res.Tables[at].Rows {
		if m, ok := r.Fields.Get("model").(string); ok && !slices.Contains(ids, m) {
			ids = append(ids, m)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	t, err := tableRows(ctx, l, sess, n, ids...)
	if errors.Is(err, lake.ErrNoTable) || t == nil {
		return nil // predictions of a model whose table is gone: nothing to add
	}
	if err != nil {
		return err
	}
	res.Tables = slices.Insert(res.Tables, at+1, *t)
	return nil
}

// registered is n's table in the registry, nil for a table made outside
// distill (or a registered name in the wrong kind of namespace).
func registered(n lake.TableName) *spec.Table {
	if i := spec.Rank(n); i < len(spec.Tables) {
		return spec.Tables[i]
	}
	return nil
}

// tablesWithID lists the tables that have an article's id column (see
// spec.ArticleTables; a table made outside distill counts when it has an id
// column), corpus first, then each namespace in pipeline order.
func tablesWithID(ctx context.Context, l *lake.Lake, namespace string) ([]lake.TableName, error) {
	infos, err := l.Tables(ctx)
	if err != nil {
		return nil, err
	}
	var out []lake.TableName
	nsSeen := false
	for _, ti := range infos {
		n := ti.Name
		if namespace != "" && n.Namespace != spec.CorpusNamespace && n.Namespace != namespace {
			continue
		}
		nsSeen = nsSeen || n.Namespace == namespace
		sc, err := l.ArrowSchema(ctx, n)
		if err != nil {
			return nil, err
		}
		// A registered table whose id is not an article's (models) is
		// no place an article could stop.
		if reg := registered(n); len(sc.FieldIndices("id")) > 0 && (reg == nil || reg.PerArticle()) {
			out = append(out, n)
		}
	}
	if namespace != "" && !nsSeen {
		return nil, fmt.Errorf("%w: namespace %s (no table yet: run the filter's stages first)", lake.ErrNoTable, namespace)
	}
	slices.SortStableFunc(out, func(a, b lake.TableName) int {
		if ca, cb := a.Namespace == spec.CorpusNamespace, b.Namespace == spec.CorpusNamespace; ca != cb {
			if ca {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		if c := spec.Rank(a) - spec.Rank(b); c != 0 {
			return c
		}
		return strings.Compare(a.Table, b.Table)
	})
	return out, nil
}

// record is one row as read: column names, DuckDB types and values.
type record struct {
	cols  []string
	types []string
	vals  []any
}

func (r record) get(name string) any {
	if i := slices.Index(r.cols, name); i >= 0 {
		return r.vals[i]
	}
	return nil
}

// read runs sql/lineage/rows.sql over the table at snap.
func read(ctx context.Context, sess *lake.Session, snap *lake.Snapshot) ([]record, error) {
	rel, _, err := sess.Relation(ctx, snap.Ref())
	if err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "lineage_table", rel); err != nil {
		return nil, err
	}
	rows, err := sess.QueryFile(ctx, "lineage/rows", nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", snap.Ref(), err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols, types := make([]string, len(cts)), make([]string, len(cts))
	for i, ct := range cts {
		cols[i], types[i] = ct.Name(), strings.ToUpper(ct.DatabaseTypeName())
	}
	var out []record
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, record{cols, types, vals})
	}
	return out, rows.Err()
}

// tableRows reads the rows of one table whose id is one of ids (the
// article's, or the models that predicted it) at its current snapshot and
// finds the snapshot that added each; nil when the table has no snapshot.
func tableRows(ctx context.Context, l *lake.Lake, sess *lake.Session, n lake.TableName, ids ...string) (*Table, error) {
	cur, err := l.Current(ctx, n)
	if err != nil || cur == nil {
		return nil, err
	}
	t := &Table{Table: n.String(), Seq: cur.Seq, Rows: []Row{}}
	var snaps []lake.Snapshot
	for _, id := range ids {
		// rows.sql and adder read the rows of the id in lineage_id.
		if err := sess.SetVariables(ctx, lake.Vars{"lineage_id": id}); err != nil {
			return nil, err
		}
		recs, err := read(ctx, sess, cur)
		if err != nil || len(recs) == 0 {
			if err != nil {
				return nil, err
			}
			continue
		}
		if snaps == nil {
			if snaps, err = l.Snapshots(ctx, n); err != nil {
				return nil, err
			}
		}
		added := map[string]*lake.Snapshot{} // run id -> the snapshot that added its rows
		for _, r := range recs {
			row := Row{Fields: fields(n, r)}
			if id, ok := r.get("run_id").(string); ok {
				row.RunID = id
				s, seen := added[id]
				if !seen {
					if s, err = adder(ctx, sess, snaps, id); err != nil {
						return nil, err
					}
					added[id] = s
				}
				if s != nil {
					tm := s.Time
					row.Seq, row.SnapshotID, row.Stage, row.Time = s.Seq, s.ID, s.Stage, &tm
				}
			}
			t.Rows = append(t.Rows, row)
		}
	}
	slices.SortStableFunc(t.Rows, func(a, b Row) int { return int(a.Seq - b.Seq) })
	return t, nil
}

// adder returns the snapshot whose run id is runID; when the run made
// several (the labeler commits in batches), the first that holds a row of
// the article with that run id. A run's batches only add rows, so that is
// found by binary search: a few reads, however many batches.
func adder(ctx context.Context, sess *lake.Session, snaps []lake.Snapshot, runID string) (*lake.Snapshot, error) {
	var cands []*lake.Snapshot
	for i := range snaps {
		if snaps[i].RunID == runID {
			cands = append(cands, &snaps[i])
		}
	}
	switch len(cands) {
	case 0:
		return nil, nil
	case 1:
		return cands[0], nil
	}
	var readErr error
	i := sort.Search(len(cands), func(i int) bool {
		recs, err := read(ctx, sess, cands[i])
		if err != nil {
			readErr = err
			return true
		}
		return slices.ContainsFunc(recs, func(r record) bool { return r.get("run_id") == runID })
	})
	if readErr != nil {
		return nil, readErr
	}
	return cands[min(i, len(cands)-1)], nil
}
