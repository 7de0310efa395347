// Package diff compares two snapshots of a lake table: which keys were
// added, removed, changed or left as they were, which columns changed, and,
// for a labels table, how the mean of each dimension shifted and which tier
// each article moved to. The entry point is Run; the comparisons are the
// files under sql/diff.
package diff

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Run compares snapshot A of a table with snapshot B. It reads the lake and
// writes nothing.
func Run(ctx context.Context, l *lake.Lake, opts Options) (*Result, error) {
	res := &Result{}
	if err := opts.Validate(); err != nil {
		return res, err
	}
	refA, refB, previous := opts.sides()
	snapB, err := l.Resolve(ctx, refB)
	if err != nil {
		return res, err
	}
	if snapB == nil {
		return res, fmt.Errorf("%w: %s", ErrEmpty, refB)
	}
	var snapA *lake.Snapshot
	if previous {
		snapA, err = before(ctx, l, snapB)
	} else {
		snapA, err = l.Resolve(ctx, refA)
		if err == nil && snapA == nil {
			err = fmt.Errorf("%w: %s", ErrEmpty, refA)
		}
	}
	if err != nil {
		return res, err
	}
	res.A, res.B = sideOf(refA.TableName, snapA), sideOf(refB.TableName, snapB)

	sess, err := l.Session(ctx, "")
	if err != nil {
		return res, err
	}
	defer sess.Close()
	relB, _, err := sess.Relation(ctx, snapB.Ref())
	if err != nil {
		return res, err
	}
	relA := relB + " WHERE false" // the empty table before the first snapshot
	if snapA != nil {
		if relA, _, err = sess.Relation(ctx, snapA.Ref()); err != nil {
			return res, err
		}
	}
	colsA, err := columns(ctx, sess, relA)
	if err != nil {
		return res, err
	}
	colsB, err := columns(ctx, sess, relB)
	if err != nil {
		return res, err
	}
	res.Key, err = chooseKey(opts.Key, refB.TableName, colsA, colsB)
	if err != nil {
		return res, fmt.Errorf("%s and %s: %w", res.A, res.B, err)
	}
	res.Compared, res.Ignored, res.ColumnsAdded, res.ColumnsRemoved = compare(colsA, colsB, res.Key)

	compared := res.Compared
	if len(compared) == 0 {
		compared = []string{res.Key} // a table of keys only: rows differ by key alone
	}
	for _, q := range []string{
		"CREATE OR REPLACE TEMP VIEW diff_a AS SELECT " + ident(res.Key) + " AS diff_key, * FROM " + relA,
		"CREATE OR REPLACE TEMP VIEW diff_b AS SELECT " + ident(res.Key) + " AS diff_key, * FROM " + relB,
	} {
		if _, err := sess.Exec(ctx, q); err != nil {
			return res, fmt.Errorf("diff %s %s: %w", res.A, res.B, err)
		}
	}
	if err := sess.SetVariables(ctx, lake.Vars{"diff_columns": compared, "diff_examples": opts.Examples}); err != nil {
		return res, fmt.Errorf("diff %s %s: %w", res.A, res.B, err)
	}
	if err := sess.TempTable(ctx, "diff_keys", "diff/keys", nil); err != nil {
		return res, fmt.Errorf("diff %s %s: %w", res.A, res.B, err)
	}
	if err := summarize(ctx, sess, res); err != nil {
		return res, fmt.Errorf("diff %s %s: %w", res.A, res.B, err)
	}
	if isLabels(refA.TableName) && isLabels(refB.TableName) {
		if res.Labels, err = labels(ctx, sess, colsA, colsB); err != nil {
			return res, fmt.Errorf("diff %s %s: %w", res.A, res.B, err)
		}
	}
	return res, nil
}

// before returns the snapshot that was current before snap (its parent),
// or nil when snap is the table's first.
func before(ctx context.Context, l *lake.Lake, snap *lake.Snapshot) (*lake.Snapshot, error) {
	if snap.Parent == 0 {
		return nil, nil
	}
	snaps, err := l.Snapshots(ctx, snap.Table)
	if err != nil {
		return nil, err
	}
	for i := range snaps {
		if snaps[i].ID == snap.Parent {
			return &snaps[i], nil
		}
	}
	return nil, nil // expired: nothing older to compare with
}

// isLabels reports whether n is a labels table, which the diff adds
// mean shifts and tier moves to.
func isLabels(n lake.TableName) bool { return n == spec.Labels.In(n.Namespace) }

// column is a column's name and DuckDB type.
type column = lake.ColumnInfo

func columns(ctx context.Context, sess *lake.Session, rel string) ([]column, error) {
	return sess.Columns(ctx, rel)
}

func has(cols []column, name string) bool {
	return slices.ContainsFunc(cols, func(c column) bool { return c.Name == name })
}

// chooseKey picks the column rows are matched by: the one asked for, else
// cache_key for oracle_calls (one row per request; an id has many), else
// id, else cache_key.
func chooseKey(want string, table lake.TableName, a, b []column) (string, error) {
	if want != "" {
		if !has(a, want) || !has(b, want) {
			return "", fmt.Errorf("%w: column %q is not at both snapshots", ErrNoKey, want)
		}
		return want, nil
	}
	candidates := []string{"id", "cache_key"}
	if table == spec.OracleCalls.In(table.Namespace) {
		candidates = []string{"cache_key", "id"}
	}
	for _, c := range candidates {
		if has(a, c) && has(b, c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("%w: neither id nor cache_key is at both snapshots (pass a key column)", ErrNoKey)
}

// bookkeeping reports columns that change on every rerun without the data
// changing: the run id and timestamps such as labeled_at.
func bookkeeping(c column) bool {
	return c.Name == "run_id" || strings.HasSuffix(c.Name, "_at") && (strings.HasPrefix(c.Type, "TIMESTAMP") || c.Type == "DATE")
}

// compare splits the columns: compared (at both sides, in B's order),
// ignored (bookkeeping), and those only B or only A has.
func compare(a, b []column, key string) (compared, ignored, added, removed []string) {
	compared, ignored, added, removed = []string{}, []string{}, []string{}, []string{}
	for _, c := range b {
		switch {
		case !has(a, c.Name):
			added = append(added, c.Name)
		case c.Name == key:
		case bookkeeping(c):
			ignored = append(ignored, c.Name)
		default:
			compared = append(compared, c.Name)
		}
	}
	for _, c := range a {
		if !has(b, c.Name) {
			removed = append(removed, c.Name)
		}
	}
	return compared, ignored, added, removed
}

func summarize(ctx context.Context, sess *lake.Session, res *Result) error {
	var maxA, maxB int64
	if err := sess.QueryRowFile(ctx, "diff/summary", nil, &res.Added, &res.Removed, &res.Changed, &res.Unchanged,
		&res.A.Rows, &res.B.Rows, &maxA, &maxB); err != nil {
		return err
	}
	res.KeyUnique = maxA <= 1 && maxB <= 1
	if err := sess.QueryRowFile(ctx, "diff/row_changes", nil, &res.RowsOnlyA, &res.RowsOnlyB); err != nil {
		return err
	}
	res.ChangedColumns = []ColumnChange{}
	if len(res.Compared) > 0 {
		err := sess.EachFile(ctx, "diff/changed_columns", nil, func(rows *sql.Rows) error {
			var c ColumnChange
			err := rows.Scan(&c.Column, &c.Keys)
			res.ChangedColumns = append(res.ChangedColumns, c)
			return err
		})
		if err != nil {
			return err
		}
	}
	return sess.EachFile(ctx, "diff/examples", nil, func(rows *sql.Rows) error {
		var status, key string
		if err := rows.Scan(&status, &key); err != nil {
			return err
		}
		if res.Examples == nil {
			res.Examples = map[string][]string{}
		}
		res.Examples[status] = append(res.Examples[status], key)
		return nil
	})
}

func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
