package diff_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/distillery/distillery/inspect/diff"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
)

var items = lake.TableName{Namespace: "t", Table: "items"}

var itemsSchema = lake.Schema{
	{Name: "id", Type: lake.String, Required: true},
	{Name: "title", Type: lake.String},
	{Name: "n", Type: lake.Long},
	{Name: "updated_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}

type item struct {
	id, title string
	n         int64
}

// commit writes rows to the table as one snapshot, as a new run.
func commit(t *testing.T, l *lake.Lake, name lake.TableName, replace bool, fill func(rb *lake.RowBuilder)) *lake.Snapshot {
	t.Helper()
	ctx := context.Background()
	l.RunID = lake.NewRunID()
	p, err := l.WriteRows(ctx, name, func(rb *lake.RowBuilder) error { fill(rb); return nil })
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Commit(ctx, lake.Commit{Stage: "test", Replace: replace})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeItems(t *testing.T, l *lake.Lake, replace bool, rows []item) *lake.Snapshot {
	t.Helper()
	return commit(t, l, items, replace, func(rb *lake.RowBuilder) {
		for _, r := range rows {
			rb.String("id", r.id)
			rb.String("title", r.title)
			rb.Long("n", r.n)
			rb.Time("updated_at", time.Now())
			rb.String("run_id", l.RunID)
			rb.EndRow()
		}
	})
}

func run(t *testing.T, l *lake.Lake, o diff.Options) *diff.Result {
	t.Helper()
	res, err := diff.Run(context.Background(), l, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func ref(t *testing.T, s string) lake.Ref {
	t.Helper()
	r, err := lake.ParseRef(s, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// itemsLake holds t.items at @1 (a, b, c, d) and @2 (a; b retitled; c
// rewritten with the same values by a new run; d gone; e new).
func itemsLake(t *testing.T) *lake.Lake {
	l := testutil.NewLake(t)
	if err := l.EnsureTable(context.Background(), items, itemsSchema); err != nil {
		t.Fatal(err)
	}
	writeItems(t, l, false, []item{{"a", "A", 1}, {"b", "B", 2}, {"c", "C", 3}, {"d", "D", 4}})
	writeItems(t, l, true, []item{{"a", "A", 1}, {"b", "B2", 2}, {"c", "C", 3}, {"e", "E", 5}})
	return l
}

func TestRun_AddedRemovedChanged(t *testing.T) {
	l := itemsLake(t)
	for name, o := range map[string]diff.Options{
		"both pinned":         {A: ref(t, "t.items@1"), B: ref(t, "t.items@2"), Examples: 5},
		"A to current":        {A: ref(t, "t.items@1"), Examples: 5},
		"previous to current": {A: ref(t, "t.items"), Examples: 5},
	} {
		t.Run(name, func(t *testing.T) {
			res := run(t, l, o)
			if res.A.Seq != 1 || res.B.Seq != 2 || res.A.Rows != 4 || res.B.Rows != 4 {
				t.Errorf("sides = %+v %+v, want @1 and @2 with 4 rows each", res.A, res.B)
			}
			got := [4]int64{res.Added, res.Removed, res.Changed, res.Unchanged}
			if got != [4]int64{1, 1, 1, 2} {
				t.Errorf("added, removed, changed, unchanged = %v, want [1 1 1 2]", got)
			}
			if res.RowsOnlyA != 2 || res.RowsOnlyB != 2 {
				t.Errorf("rows only at A, B = %d, %d, want 2, 2", res.RowsOnlyA, res.RowsOnlyB)
			}
			if res.Key != "id" || !res.KeyUnique {
				t.Errorf("key %q unique %v, want id, true", res.Key, res.KeyUnique)
			}
			if !slices.Equal(res.Compared, []string{"title", "n"}) || !slices.Equal(res.Ignored, []string{"updated_at", "run_id"}) {
				t.Errorf("compared %v ignored %v", res.Compared, res.Ignored)
			}
			if len(res.ChangedColumns) != 1 || res.ChangedColumns[0] != (diff.ColumnChange{Column: "title", Keys: 1}) {
				t.Errorf("changed columns = %+v, want title: 1", res.ChangedColumns)
			}
			want := map[string][]string{"added": {"e"}, "removed": {"d"}, "changed": {"b"}}
			for k, v := range want {
				if !slices.Equal(res.Examples[k], v) {
					t.Errorf("examples[%s] = %v, want %v", k, res.Examples[k], v)
				}
			}
		})
	}
}

func TestRun_FirstSnapshotAgainstEmpty(t *testing.T) {
	l := testutil.NewLake(t)
	ctx := context.Background()
	if err := l.EnsureTable(ctx, items, itemsSchema); err != nil {
		t.Fatal(err)
	}
	if _, err := diff.Run(ctx, l, diff.Options{A: ref(t, "t.items")}); !errors.Is(err, diff.ErrEmpty) {
		t.Errorf("diff of a table with no snapshot: err = %v, want ErrEmpty", err)
	}
	writeItems(t, l, false, []item{{"a", "A", 1}, {"b", "B", 2}})
	res := run(t, l, diff.Options{A: ref(t, "t.items")})
	if res.A.Seq != 0 || res.B.Seq != 1 || res.Added != 2 || res.Removed+res.Changed+res.Unchanged != 0 {
		t.Errorf("first snapshot against nothing = %+v", res)
	}
	if _, err := diff.Run(ctx, l, diff.Options{A: ref(t, "t.items@7")}); !errors.Is(err, lake.ErrNoSnapshot) {
		t.Errorf("diff @7: err = %v, want ErrNoSnapshot", err)
	}
}

func TestRun_SchemaChange(t *testing.T) {
	l := itemsLake(t)
	ctx := context.Background()
	evolved := append(slices.Clone(itemsSchema), lake.Column{Name: "score", Type: lake.Double})
	if err := l.EnsureTable(ctx, items, evolved); err != nil {
		t.Fatal(err)
	}
	// @3 appends f with a score; a..e keep their rows (score null).
	commit(t, l, items, false, func(rb *lake.RowBuilder) {
		rb.String("id", "f")
		rb.String("title", "F")
		rb.Long("n", 6)
		rb.Double("score", 0.5)
		rb.String("run_id", l.RunID)
		rb.EndRow()
	})
	res := run(t, l, diff.Options{A: ref(t, "t.items@2"), B: ref(t, "t.items@3")})
	if !slices.Equal(res.ColumnsAdded, []string{"score"}) || len(res.ColumnsRemoved) != 0 {
		t.Errorf("columns added %v removed %v, want [score] []", res.ColumnsAdded, res.ColumnsRemoved)
	}
	if got := [4]int64{res.Added, res.Removed, res.Changed, res.Unchanged}; got != [4]int64{1, 0, 0, 4} {
		t.Errorf("added, removed, changed, unchanged = %v, want [1 0 0 4] (a new column is not a change)", got)
	}
	// Against @1 across the schema change: b retitled, d gone, e and f new.
	res = run(t, l, diff.Options{A: ref(t, "t.items@1")})
	if got := [4]int64{res.Added, res.Removed, res.Changed, res.Unchanged}; got != [4]int64{2, 1, 1, 2} || res.B.Seq != 3 {
		t.Errorf("@1 to current: %v at @%d, want [2 1 1 2] at @3", got, res.B.Seq)
	}
}

var labelsTable = lake.TableName{Namespace: "f", Table: "labels"}

var labelsSchema = lake.Schema{
	{Name: "id", Type: lake.String, Required: true},
	{Name: "d1", Type: lake.Double}, {Name: "d2", Type: lake.Double},
	{Name: "d1_evidence", Type: lake.String}, {Name: "d2_evidence", Type: lake.String},
	{Name: "overall", Type: lake.Double},
	{Name: "tier", Type: lake.String},
	{Name: "cost_usd", Type: lake.Double}, // a DOUBLE without _evidence: not a dimension
	{Name: "labeled_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}

type lbl struct {
	id        string
	d1, d2    float64
	tier      string
	labeledAt int // minutes after a fixed time
}

func writeLabels(t *testing.T, l *lake.Lake, rows []lbl) {
	t.Helper()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	commit(t, l, labelsTable, false, func(rb *lake.RowBuilder) {
		for _, r := range rows {
			rb.String("id", r.id)
			rb.Double("d1", r.d1)
			rb.Double("d2", r.d2)
			rb.String("d1_evidence", "e")
			rb.String("d2_evidence", "e")
			rb.Double("overall", (r.d1+r.d2)/2)
			rb.String("tier", r.tier)
			rb.Double("cost_usd", 0.001)
			rb.Time("labeled_at", t0.Add(time.Duration(r.labeledAt)*time.Minute))
			rb.String("run_id", l.RunID)
			rb.EndRow()
		}
	})
}

func near(got *float64, want float64) bool { return got != nil && math.Abs(*got-want) < 1e-9 }

func TestRun_LabelsMeanShiftAndTiers(t *testing.T) {
	l := testutil.NewLake(t)
	if err := l.EnsureTable(context.Background(), labelsTable, labelsSchema); err != nil {
		t.Fatal(err)
	}
	// @1: x low, y high, z low. @2 appends a relabel of x (now high) and a new w.
	writeLabels(t, l, []lbl{{"x", 2, 4, "low", 0}, {"y", 6, 8, "high", 0}, {"z", 4, 4, "low", 0}})
	writeLabels(t, l, []lbl{{"x", 8, 6, "high", 10}, {"w", 10, 10, "high", 10}})
	res := run(t, l, diff.Options{A: ref(t, "f.labels@1")})

	if got := [4]int64{res.Added, res.Removed, res.Changed, res.Unchanged}; got != [4]int64{1, 0, 1, 2} {
		t.Errorf("ids added, removed, changed, unchanged = %v, want [1 0 1 2]", got)
	}
	if res.KeyUnique || res.RowsOnlyA != 0 || res.RowsOnlyB != 2 {
		t.Errorf("key unique %v, rows only A %d, only B %d; want false, 0, 2", res.KeyUnique, res.RowsOnlyA, res.RowsOnlyB)
	}
	d := res.Labels
	if d == nil {
		t.Fatal("no labels part in a labels diff")
	}
	if !slices.Equal(d.Dimensions, []string{"d1", "d2"}) || d.CommonIDs != 3 {
		t.Errorf("dimensions %v common ids %d, want [d1 d2] and 3", d.Dimensions, d.CommonIDs)
	}
	// All rows: d1 4 -> 6 (x, y, z | + x again, w), d2 16/3 -> 32/5.
	// Common ids, latest label each: d1 (2,6,4) -> (8,6,4), d2 (4,8,4) -> (6,8,4).
	want := map[string][6]float64{
		"d1":      {4, 6, 2, 4, 6, 2},
		"d2":      {16.0 / 3, 32.0 / 5, 32.0/5 - 16.0/3, 16.0 / 3, 6, 6 - 16.0/3},
		"overall": {14.0 / 3, 31.0 / 5, 31.0/5 - 14.0/3, 14.0 / 3, 6, 6 - 14.0/3},
	}
	if len(d.Means) != 3 || d.Means[2].Dimension != "overall" {
		t.Fatalf("means = %+v, want d1, d2, overall", d.Means)
	}
	for _, m := range d.Means {
		w := want[m.Dimension]
		got := []*float64{m.MeanA, m.MeanB, m.Shift, m.CommonMeanA, m.CommonMeanB, m.CommonShift}
		for i := range got {
			if !near(got[i], w[i]) {
				t.Errorf("%s: value %d = %v, want %v", m.Dimension, i, deref(got[i]), w[i])
			}
		}
		if m.RowsA != 3 || m.RowsB != 5 {
			t.Errorf("%s: rows %d, %d, want 3, 5", m.Dimension, m.RowsA, m.RowsB)
		}
	}
	if !slices.Equal(d.Tiers, []string{"high", "low"}) {
		t.Errorf("tiers = %v, want [high low]", d.Tiers)
	}
	for _, c := range []struct {
		from, to string
		n        int64
	}{{"low", "high", 1}, {"high", "high", 1}, {"low", "low", 1}, {"high", "low", 0}} {
		if got := d.Count(c.from, c.to); got != c.n {
			t.Errorf("%s -> %s: %d ids, want %d", c.from, c.to, got, c.n)
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestRun_OracleCallsKeyedByCacheKey(t *testing.T) {
	l := testutil.NewLake(t)
	calls := lake.TableName{Namespace: "f", Table: "oracle_calls"}
	schema := lake.Schema{{Name: "cache_key", Type: lake.String}, {Name: "id", Type: lake.String}, {Name: "status", Type: lake.String}, {Name: "run_id", Type: lake.String}}
	if err := l.EnsureTable(context.Background(), calls, schema); err != nil {
		t.Fatal(err)
	}
	write := func(rows [][3]string) {
		commit(t, l, calls, false, func(rb *lake.RowBuilder) {
			for _, r := range rows {
				rb.String("cache_key", r[0])
				rb.String("id", r[1])
				rb.String("status", r[2])
				rb.String("run_id", l.RunID)
				rb.EndRow()
			}
		})
	}
	write([][3]string{{"k1", "a", "failed"}})
	write([][3]string{{"k2", "a", "ok"}, {"k3", "b", "ok"}}) // a retried under a new key, b asked once
	res := run(t, l, diff.Options{A: ref(t, "f.oracle_calls")})
	if res.Key != "cache_key" || !res.KeyUnique || res.Added != 2 || res.Unchanged != 1 {
		t.Errorf("key %s unique %v added %d unchanged %d, want cache_key, true, 2, 1", res.Key, res.KeyUnique, res.Added, res.Unchanged)
	}
	if res.Labels != nil {
		t.Error("an oracle_calls diff has a labels part")
	}
	if _, err := diff.Run(context.Background(), l, diff.Options{A: ref(t, "f.oracle_calls"), Key: "nope"}); !errors.Is(err, diff.ErrNoKey) {
		t.Errorf("unknown key column: err = %v, want ErrNoKey", err)
	}
}
