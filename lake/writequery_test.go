package lake

import (
	"context"
	"strings"
	"testing"
)

func TestSession_WriteQuery(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	name := TableName{Namespace: "t", Table: "wide"}
	schema := Schema{
		{Name: "id", Type: String, Required: true},
		{Name: "n", Type: Long},
		{Name: "x", Type: Double},
		{Name: "ok", Type: Bool},
		{Name: "at", Type: TimestampTz},
		{Name: "sig", Type: LongList},
		{Name: "missing", Type: String},
	}
	if err := l.EnsureTable(ctx, name, schema); err != nil {
		t.Fatal(err)
	}
	s, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// 250,000 rows: several DuckDB batches; INTEGER is cast to the table's long.
	p, err := s.WriteQuery(ctx, name, `SELECT 'r' || i AS id, (i % 7)::INTEGER AS n, i / 2 AS x, i % 2 = 0 AS ok,
		TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i) AS at, [i, -i]::BIGINT[] AS sig FROM range(250000) t(i)`)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows() != 250000 {
		t.Fatalf("pending rows = %d", p.Rows())
	}
	if _, err := p.Commit(ctx, Commit{Stage: "test"}); err != nil {
		t.Fatal(err)
	}
	var rows, sumN, nulls, evens int64
	var sumX float64
	var last string
	q := `SELECT count(*), sum(n), sum(x), count(*) FILTER (WHERE missing IS NULL), count(*) FILTER (WHERE ok AND sig[2] = -sig[1]), max("at")::VARCHAR FROM t.wide`
	if err := s.QueryRow(ctx, q, &rows, &sumN, &sumX, &nulls, &evens, &last); err != nil {
		t.Fatal(err)
	}
	var wantN int64
	for i := range int64(250000) {
		wantN += i % 7
	}
	if rows != 250000 || sumN != wantN || sumX != 249999*250000/4 || nulls != 250000 || evens != 125000 || !strings.HasPrefix(last, "2026-01-03 21:26:39") {
		t.Errorf("read back rows %d, sum(n) %d (want %d), sum(x) %g, nulls %d, evens %d, max(at) %s", rows, sumN, wantN, sumX, nulls, evens, last)
	}
	// A column the table lacks is an error, and nothing is left behind.
	if _, err := s.WriteQuery(ctx, name, `SELECT 'a' AS id, 1 AS nope`); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown column: err = %v", err)
	}
}
