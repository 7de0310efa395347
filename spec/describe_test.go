package spec_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/spec"
)

// updating is testutil's -update flag (one flag for every golden file).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// Every column of every table says what it means, for a real filter and for
// any filter; the columns named after a dimension say which.
func TestTable_Columns(t *testing.T) {
	f := testFilter(t)
	for _, flt := range []*filters.Filter{f, nil} {
		for _, tb := range spec.Tables {
			dims := map[string]int{}
			for _, c := range tb.Columns(flt) {
				if c.Meaning == "" {
					t.Errorf("%s.%s has no meaning: give its lake.Column a Doc in spec/schemas.go", tb.DisplayName(flt), c.Name)
				}
				if c.Type == "" {
					t.Errorf("%s.%s has no type", tb.DisplayName(flt), c.Name)
				}
				if c.Dimension != "" {
					dims[c.Dimension]++
				}
			}
			perDim := tb == spec.Labels || tb == spec.Predictions || tb == spec.Scores || tb == spec.Shadows
			switch {
			case !perDim && len(dims) > 0:
				t.Errorf("%s: columns marked as dimension columns: %v", tb.Name, dims)
			case perDim && flt != nil && len(dims) != len(f.Dimensions):
				t.Errorf("%s: dimension columns for %d dimensions, the filter has %d", tb.Name, len(dims), len(f.Dimensions))
			case perDim && flt == nil && dims[spec.AnyDimension] == 0:
				t.Errorf("%s without a filter: no %s column", tb.Name, spec.AnyDimension)
			}
		}
	}
}

func TestTable_Describe(t *testing.T) {
	f := testFilter(t)
	d := spec.Splits.Describe(f)
	if want := f.Namespace() + ".splits"; d.Table != want {
		t.Errorf("Table = %q, want %q", d.Table, want)
	}
	if d.WrittenBy != "split" || len(d.Reads) != 3 || d.Reads[2] != "corpus.raw" {
		t.Errorf("written by %q from %v, want split from labels, compressed, corpus.raw", d.WrittenBy, d.Reads)
	}
	if got := spec.Labels.Describe(nil).Table; got != spec.AnyFilter+".labels" {
		t.Errorf("labels without a filter: %q", got)
	}
	if got := spec.Raw.Describe(nil).ReadBy; len(got) != 6 {
		t.Errorf("corpus.raw read by %v, want prefilter, compress, split, score, shadow", got)
	}
}

// docs/schema.md is SchemaMarkdown: `go test ./spec -update` rewrites it.
func TestSchemaMarkdown(t *testing.T) {
	path := filepath.Join("..", "docs", "schema.md")
	want := spec.SchemaMarkdown()
	if updating() {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./spec -update)", err)
	}
	if string(got) != want {
		t.Errorf("docs/schema.md differs from the schemas in spec/: run go test -tags duckdb_arrow ./spec -update")
	}
}

// A dimension may not take the name of another column of a table with one
// column per dimension (filters.ReservedDimensionName): a filter with a
// dimension "tier", or "a" and "a_raw", would make a table with two
// columns of one name. Every such column, today's and those added later,
// must be one the filter refuses.
func TestTable_DimensionNamesCannotCollide(t *testing.T) {
	f := testFilter(t)
	for _, tb := range spec.Tables {
		schema := tb.Schema(f)
		names := map[string]bool{}
		for _, c := range schema {
			if names[c.Name] {
				t.Errorf("%s: two columns named %s", tb.DisplayName(f), c.Name)
			}
			names[c.Name] = true
		}
		if !names[f.Dimensions[0].Name] {
			continue // not a table with a column per dimension
		}
		for _, c := range schema {
			if slices.ContainsFunc(f.Dimensions, func(d filters.Dimension) bool {
				return c.Name == d.Name || c.Name == d.Name+"_evidence" || c.Name == d.Name+"_raw"
			}) {
				continue
			}
			if filters.ReservedDimensionName(c.Name) == "" {
				t.Errorf("%s has a column %s that a dimension may be named: add it to filters' reserved columns", tb.DisplayName(f), c.Name)
			}
		}
	}
	for _, bad := range []string{"tier", "overall_raw", "relevance_raw", "depth_evidence", "fold"} {
		if filters.ReservedDimensionName(bad) == "" {
			t.Errorf("a dimension may be named %q", bad)
		}
	}
}
