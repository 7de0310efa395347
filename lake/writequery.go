package lake

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// WriteQuery writes the rows of a DuckDB query as pending data files of the
// table, moving Arrow batches from DuckDB to the Parquet writers without
// scanning rows in Go (a split of 1,000,000 articles: measured in the
// README). The query's columns are matched by name to the table's columns as
// distill knows them (WriteSchema: a column another engine renamed keeps its
// first name); a table column the query lacks is null, a query column the
// table lacks is an error.
func (s *Session) WriteQuery(ctx context.Context, name TableName, query string) (*Pending, error) {
	schema, err := s.l.WriteSchema(ctx, name)
	if err != nil {
		return nil, ctxError(ctx, err)
	}
	var p *Pending
	err = s.conn.Raw(func(dc any) error {
		conn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("duckdb connection of type %T", dc)
		}
		rdr, err := queryArrow(ctx, conn, query)
		if err != nil {
			return err
		}
		defer rdr.Release()
		var convErr error
		records := func(yield func(arrow.RecordBatch, error) bool) {
			for rdr.Next() {
				rec, err := conform(ctx, rdr.RecordBatch(), schema)
				if err != nil {
					convErr = err
					yield(nil, err)
					return
				}
				ok := yield(rec, nil)
				if !ok {
					return
				}
			}
			if err := rdr.Err(); err != nil {
				convErr = err
				yield(nil, err)
			}
		}
		p, err = s.l.Write(ctx, name, schema, records)
		if err == nil && convErr != nil {
			p.Discard()
			err = convErr
		}
		return err
	})
	if err != nil {
		return nil, ctxError(ctx, fmt.Errorf("write %s from a query: %w", name, err))
	}
	return p, nil
}

// WriteArrowStream runs a query and writes its rows to w as one Arrow IPC
// stream, batch by batch as DuckDB makes them: what export files and the
// Python trainer read.
func (s *Session) WriteArrowStream(ctx context.Context, query string, w io.Writer) error {
	return ctxError(ctx, s.conn.Raw(func(dc any) error {
		conn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("duckdb connection of type %T", dc)
		}
		rdr, err := queryArrow(ctx, conn, query)
		if err != nil {
			return err
		}
		defer rdr.Release()
		iw := ipc.NewWriter(w, ipc.WithSchema(rdr.Schema()))
		for rdr.Next() {
			if err := iw.Write(rdr.RecordBatch()); err != nil {
				return err
			}
		}
		if err := rdr.Err(); err != nil {
			return err
		}
		return iw.Close()
	}))
}

// conform rebuilds a DuckDB batch with the table's Arrow schema (field ids,
// nullability), casting columns whose Arrow type differs (e.g. string views).
func conform(ctx context.Context, rec arrow.RecordBatch, schema *arrow.Schema) (arrow.RecordBatch, error) {
	idx := map[string]int{}
	for i, f := range rec.Schema().Fields() {
		idx[f.Name] = i
	}
	for _, f := range rec.Schema().Fields() {
		if len(schema.FieldIndices(f.Name)) == 0 {
			return nil, fmt.Errorf("the query's column %q is not in the table", f.Name)
		}
	}
	n := rec.NumRows()
	cols := make([]arrow.Array, schema.NumFields())
	var owned []arrow.Array // made here: released once the batch holds them
	defer func() {
		for _, a := range owned {
			a.Release()
		}
	}()
	for i, f := range schema.Fields() {
		j, ok := idx[f.Name]
		if !ok {
			cols[i] = array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, int(n))
			owned = append(owned, cols[i])
			continue
		}
		col := rec.Column(j)
		if !arrow.TypeEqual(col.DataType(), f.Type) {
			cast, err := compute.CastArray(ctx, col, compute.SafeCastOptions(f.Type))
			if err != nil {
				return nil, fmt.Errorf("column %s: %s to %s: %w", f.Name, col.DataType(), f.Type, err)
			}
			cols[i] = cast
			owned = append(owned, cast)
			continue
		}
		cols[i] = col // the batch retains it past the reader's next batch
	}
	return array.NewRecordBatch(schema, cols, n), nil
}
