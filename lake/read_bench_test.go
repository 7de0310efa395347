package lake

import (
	"context"
	"sync"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// BenchmarkSession_Footers measures reading the footers of a table of 200
// data files: cold (a new process) and from the cache, against planning.
func BenchmarkSession_Footers(b *testing.B) {
	ctx := context.Background()
	l, err := Create(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		appendRows(b, l, testTable, idsN(string(rune('a'+i%26)), 10)...)
	}
	tbl, err := l.loadTable(ctx, testTable)
	if err != nil {
		b.Fatal(err)
	}
	sf, _, err := l.files(ctx, tbl, tbl.CurrentSnapshot(), false)
	if err != nil || len(sf.paths) != 200 {
		b.Fatalf("%d files, %v", len(sf.paths), err)
	}
	b.Run("plan", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := l.files(ctx, tbl, tbl.CurrentSnapshot(), false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			footerCache = sync.Map{}
			if _, err := footers(ctx, testTable, sf.paths); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := footers(ctx, testTable, sf.paths); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSession_PositionDeletes reads a 1M-row table whole (sum of a
// column) without deletes and with 1% of its rows deleted by position.
func BenchmarkSession_PositionDeletes(b *testing.B) {
	ctx := context.Background()
	l, err := Create(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	morTable(b, l)
	setProps(b, l, testTable, iceberg.Properties{table.ParquetRowGroupLimitKey: "1048576"})
	appendRows(b, l, testTable, idsN("a", 1_000_000)...)
	before := `"t.items@1"`
	deleteWhere(b, l, testTable, iceberg.LessThan(iceberg.Reference("n"), int64(10_000)))
	s, err := l.Session(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct{ name, rel string }{{"none", before}, {"1pct", "t.items"}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				var n, sum int64
				if err := s.QueryRow(ctx, "SELECT count(*), sum(n) FROM "+c.rel+" WHERE id IS NOT NULL", &n, &sum); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("define", func(b *testing.B) {
		for b.Loop() {
			s2, err := l.Session(ctx, "")
			if err != nil {
				b.Fatal(err)
			}
			var n int64
			if err := s2.QueryRow(ctx, "SELECT count(*) FROM t.items", &n); err != nil {
				b.Fatal(err)
			}
			s2.Close()
		}
	})
}

// BenchmarkSession_EqualityDeletes defines a view of a 1M-row table with
// 1,000 ids deleted by equality and counts it: resolving the equality
// deletes (a join of the delete rows with the files' key column) is the cost:
// ~0.3 s here, about one scan of the key column (the file is one row group).
func BenchmarkSession_EqualityDeletes(b *testing.B) {
	ctx := context.Background()
	l, err := Create(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	morTable(b, l)
	setProps(b, l, testTable, iceberg.Properties{table.ParquetRowGroupLimitKey: "1048576"})
	appendRows(b, l, testTable, idsN("a", 1_000_000)...)
	var rows [][]string
	for _, id := range idsN("a", 1000) {
		rows = append(rows, []string{id})
	}
	equalityDelete(b, l, []string{"id"}, rows...)
	for b.Loop() {
		s, err := l.Session(ctx, "")
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		if err := s.QueryRow(ctx, "SELECT count(*) FROM t.items", &n); err != nil || n != 999_000 {
			b.Fatalf("%d rows, %v", n, err)
		}
		s.Close()
	}
}
