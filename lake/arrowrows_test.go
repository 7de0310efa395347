package lake

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// arrowRowsQuery holds every type distill's queries hand to WriteQuery and
// WriteArrowStream, nulls included, over more rows than one batch.
const arrowRowsQuery = `SELECT 'r' || i AS id, CASE WHEN i % 5 = 0 THEN NULL ELSE 'tëxt ' || i END AS text,
	i::INTEGER AS n32, i::BIGINT AS n64, (i % 100)::TINYINT AS n8, (i % 1000)::SMALLINT AS n16, i::UBIGINT AS u64,
	i / 3 AS x, (i / 7)::FLOAT AS f32, (i / 4)::DECIMAL(10,2) AS dec, i % 2 = 0 AS ok,
	TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i) AS at, TIMESTAMP '2026-01-01' + to_seconds(i) AS local_at,
	DATE '2026-01-01' + (i % 30)::INTEGER AS day,
	[i, -i]::BIGINT[] AS sig, [i / 2, i / 3]::FLOAT[] AS labels, ['a', NULL, 'c'] AS names,
	[i, i + 1]::DOUBLE[2] AS pair, 'x'::BLOB AS raw
	FROM range(10000) t(i) ORDER BY i`

// arrowJSON renders every value of every batch as JSON, so batches of
// different Arrow types (string or string view) compare by value.
func arrowJSON(t *testing.T, rdr array.RecordReader) []string {
	t.Helper()
	var out []string
	for rdr.Next() {
		rec := rdr.RecordBatch()
		for r := 0; r < int(rec.NumRows()); r++ {
			row := map[string]any{}
			for c, col := range rec.Columns() {
				row[rec.ColumnName(c)] = col.GetOneForMarshal(r)
			}
			b, err := json.Marshal(row)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
	}
	if err := rdr.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestArrowRows_SameAsDuckDBExport compares the batches built from rows (the
// path of a build without the duckdb_arrow tag) with what queryArrow gives,
// DuckDB's own Arrow export when the tag is set: the same values, row for row.
func TestArrowRows_SameAsDuckDBExport(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	s, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var fromRows, fromExport []string
	err = s.conn.Raw(func(dc any) error {
		conn := dc.(driver.Conn)
		rdr, err := rowsToArrow(ctx, conn, arrowRowsQuery)
		if err != nil {
			return err
		}
		fromRows = arrowJSON(t, rdr)
		rdr.Release()
		rdr, err = queryArrow(ctx, conn, arrowRowsQuery)
		if err != nil {
			return err
		}
		fromExport = arrowJSON(t, rdr)
		rdr.Release()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("duckdb_arrow tag: %v", ArrowBuildTag())
	if len(fromRows) != 10000 || len(fromExport) != 10000 {
		t.Fatalf("rows: %d from rows, %d from the export, want 10000", len(fromRows), len(fromExport))
	}
	for i := range fromRows {
		if fromRows[i] != fromExport[i] {
			t.Fatalf("row %d differs:\nfrom rows:   %s\nfrom export: %s", i, fromRows[i], fromExport[i])
		}
	}
	for _, typ := range []string{"STRUCT(a INTEGER)", "MAP(VARCHAR, INTEGER)"} {
		err := s.conn.Raw(func(dc any) error {
			_, err := rowsToArrow(ctx, dc.(driver.Conn), fmt.Sprintf("SELECT NULL::%s AS v", typ))
			return err
		})
		if err == nil {
			t.Errorf("%s: no error for a type rows cannot carry", typ)
		}
	}
}

// BenchmarkSession_WriteQuery writes 1,000,000 rows shaped like a split's
// (strings, a bool, a timestamp) from a query: through DuckDB's Arrow export
// with the duckdb_arrow tag, row by row without it.
func BenchmarkSession_WriteQuery(b *testing.B) {
	ctx := context.Background()
	l, err := Create(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	name := TableName{Namespace: "t", Table: "splitlike"}
	schema := Schema{
		{Name: "id", Type: String, Required: true},
		{Name: "split", Type: String},
		{Name: "stratum", Type: String},
		{Name: "seed", Type: Long},
		{Name: "balanced_out", Type: Bool},
		{Name: "split_at", Type: TimestampTz},
	}
	if err := l.EnsureTable(ctx, name, schema); err != nil {
		b.Fatal(err)
	}
	s, err := l.Session(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Logf("duckdb_arrow tag: %v", ArrowBuildTag())
	for b.Loop() {
		p, err := s.WriteQuery(ctx, name, `SELECT 'article-' || i AS id, ['train', 'val', 'test'][1 + i % 3] AS split,
			'tier_' || (i % 4) AS stratum, 42 AS seed, i % 9 = 0 AS balanced_out, now() AS split_at FROM range(1000000) t(i)`)
		if err != nil {
			b.Fatal(err)
		}
		p.Discard()
	}
}
