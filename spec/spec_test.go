package spec_test

import (
	"slices"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

func testFilter(t *testing.T) *filters.Filter {
	return testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
}

// Every table is written by exactly one stage, and a stage reads only
// tables that stages before it write: Stages is in pipeline order.
func TestSpec_StagesInOrder(t *testing.T) {
	written := map[*spec.Table]string{}
	for _, s := range spec.Stages {
		if len(s.Writes) == 0 {
			t.Errorf("stage %s writes nothing: only writing stages belong in spec.Stages", s.Name)
		}
		for _, r := range s.Reads {
			if _, ok := written[r]; !ok {
				t.Errorf("stage %s reads %s, which no stage before it writes", s.Name, r.Name)
			}
		}
		for _, o := range s.Optional {
			if !slices.Contains(s.Reads, o) {
				t.Errorf("stage %s: optional input %s is not in Reads", s.Name, o.Name)
			}
		}
		for _, w := range s.Writes {
			// A later stage may add rows to a table an earlier one owns only
			// when its every run adds rows of its own (cv's out-of-fold
			// predictions and their evaluations, under a model id of its own).
			if other, ok := written[w]; ok {
				if !s.EveryRun {
					t.Errorf("%s is written by %s and %s", w.Name, other, s.Name)
				}
				continue
			}
			written[w] = s.Name
		}
		if got := spec.StageNamed(s.Name); got != s {
			t.Errorf("StageNamed(%q) = %v", s.Name, got)
		}
	}
	for _, tb := range spec.Tables {
		if _, ok := written[tb]; !ok {
			t.Errorf("table %s is in spec.Tables but no stage writes it", tb.Name)
		}
		if spec.WriterOf(tb) == nil {
			t.Errorf("WriterOf(%s) = nil", tb.Name)
		}
	}
	if len(written) != len(spec.Tables) {
		t.Errorf("stages write %d tables, spec.Tables lists %d", len(written), len(spec.Tables))
	}
}

// Each table's key columns are columns of its schema, every table records
// the run that wrote each row, and names are unique.
func TestSpec_Tables(t *testing.T) {
	f := testFilter(t)
	seen := map[string]bool{}
	for _, tb := range spec.Tables {
		if seen[tb.Name] {
			t.Errorf("two tables named %s", tb.Name)
		}
		seen[tb.Name] = true
		if spec.TableNamed(tb.Name) != tb {
			t.Errorf("TableNamed(%q) is not the table", tb.Name)
		}
		cols := map[string]bool{}
		for _, c := range tb.Schema(f) {
			if cols[c.Name] {
				t.Errorf("%s: column %s twice", tb.Name, c.Name)
			}
			cols[c.Name] = true
		}
		if !cols["run_id"] {
			t.Errorf("%s has no run_id column: a row must say which run wrote it", tb.Name)
		}
		for _, k := range tb.Key {
			if !cols[k] {
				t.Errorf("%s: key column %s is not in its schema", tb.Name, k)
			}
		}
		got := tb.For(f)
		want := f.Namespace()
		if tb.Kind == spec.Corpus {
			want = spec.CorpusNamespace
		}
		if got.Namespace != want || got.Table != tb.Name {
			t.Errorf("%s.For(filter) = %s, want %s.%s", tb.Name, got, want, tb.Name)
		}
	}
	// A dimension's score column is in the tables that have one per dimension.
	for _, tb := range []*spec.Table{spec.Labels, spec.Predictions} {
		if !slices.ContainsFunc(tb.Schema(f), func(c lake.Column) bool { return c.Name == f.Dimensions[0].Name }) {
			t.Errorf("%s has no column for dimension %s", tb.Name, f.Dimensions[0].Name)
		}
	}
}

func TestRank(t *testing.T) {
	f := testFilter(t)
	for i, tb := range spec.Tables {
		if got := spec.Rank(tb.For(f)); got != i {
			t.Errorf("Rank(%s) = %d, want %d", tb.For(f), got, i)
		}
	}
	for _, n := range []lake.TableName{{Namespace: "uplifting", Table: "raw"}, {Namespace: spec.CorpusNamespace, Table: "labels"}, {Namespace: "x", Table: "mine"}} {
		if got := spec.Rank(n); got != len(spec.Tables) {
			t.Errorf("Rank(%s) = %d, want %d (not a registry table)", n, got, len(spec.Tables))
		}
	}
}
