package lake

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/distillery/distillery/internal/pgtest"
)

// The commit latency of one small append (one row: write its file, commit
// the snapshot) with the catalog in catalog.db and in PostgreSQL:
//
//	go test -tags duckdb_arrow -run '^$' -bench BenchmarkCommit -benchtime 100x ./lake/
func BenchmarkCommit_SQLite(b *testing.B) {
	l, err := Create(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	benchCommits(b, l)
}

func BenchmarkCommit_Postgres(b *testing.B) {
	l, err := CreateWith(context.Background(), b.TempDir(), Options{Catalog: pgtest.URL(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	benchCommits(b, l)
}

func benchCommits(b *testing.B, l *Lake) {
	ctx := context.Background()
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		b.Fatal(err)
	}
	sc, err := l.ArrowSchema(ctx, testTable)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		bld := array.NewRecordBuilder(memory.DefaultAllocator, sc)
		bld.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("r%d", i))
		bld.Field(1).(*array.Int64Builder).Append(int64(i))
		rec := bld.NewRecordBatch()
		bld.Release()
		p, err := l.Write(ctx, testTable, sc, one(rec))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Commit(ctx, Commit{Stage: "bench"}); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
}
