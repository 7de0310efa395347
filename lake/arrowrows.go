package lake

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
)

// ArrowBuildTag reports whether this binary was built with the duckdb_arrow
// tag, which lets DuckDB hand query results to Go as Arrow batches itself;
// without it they are built row by row (rowsToArrow).
func ArrowBuildTag() bool { return arrowBuildTag }

// rowsBatchRows is how many rows one batch built from rows holds.
const rowsBatchRows = 4096

// rowsToArrow runs query on a DuckDB driver connection and turns its rows
// into Arrow batches, column types taken from DuckDB's type names. It is the
// path of a build without the duckdb_arrow tag, and a second path the tests
// compare with DuckDB's own Arrow export.
func rowsToArrow(ctx context.Context, conn driver.Conn, query string) (array.RecordReader, error) {
	q, ok := conn.(driver.QueryerContext)
	if !ok {
		return nil, fmt.Errorf("duckdb connection of type %T cannot query", conn)
	}
	rows, err := q.QueryContext(ctx, query, nil)
	if err != nil {
		return nil, err
	}
	typed, ok := rows.(driver.RowsColumnTypeDatabaseTypeName)
	if !ok {
		rows.Close()
		return nil, fmt.Errorf("duckdb rows of type %T name no column types", rows)
	}
	names := rows.Columns()
	fields := make([]arrow.Field, len(names))
	for i, name := range names {
		dt, err := arrowTypeOf(typed.ColumnTypeDatabaseTypeName(i))
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("column %q: %w", name, err)
		}
		fields[i] = arrow.Field{Name: name, Type: dt, Nullable: true}
	}
	return &rowsReader{ctx: ctx, rows: rows, schema: arrow.NewSchema(fields, nil), refs: 1}, nil
}

// arrowTypeOf maps a DuckDB type name (as duckdb-go spells it) to the Arrow
// type DuckDB's own export would give, or an error for types distill never
// writes from a query (structs, maps, unions).
func arrowTypeOf(name string) (arrow.DataType, error) {
	if elem, ok := strings.CutSuffix(name, "[]"); ok {
		dt, err := arrowTypeOf(elem)
		if err != nil {
			return nil, err
		}
		return arrow.ListOf(dt), nil
	}
	if i := strings.LastIndex(name, "["); i > 0 && strings.HasSuffix(name, "]") {
		n, err := strconv.Atoi(name[i+1 : len(name)-1])
		if err != nil {
			return nil, fmt.Errorf("type %s is not supported without the duckdb_arrow build tag", name)
		}
		dt, err := arrowTypeOf(name[:i])
		if err != nil {
			return nil, err
		}
		return arrow.FixedSizeListOf(int32(n), dt), nil
	}
	var p, sc int32
	if _, err := fmt.Sscanf(name, "DECIMAL(%d,%d)", &p, &sc); err == nil {
		return &arrow.Decimal128Type{Precision: p, Scale: sc}, nil
	}
	switch name {
	case "VARCHAR", "ENUM", "JSON", "BIT", "UUID":
		return arrow.BinaryTypes.String, nil
	case "BLOB":
		return arrow.BinaryTypes.Binary, nil
	case "BOOLEAN":
		return arrow.FixedWidthTypes.Boolean, nil
	case "TINYINT":
		return arrow.PrimitiveTypes.Int8, nil
	case "SMALLINT":
		return arrow.PrimitiveTypes.Int16, nil
	case "INTEGER":
		return arrow.PrimitiveTypes.Int32, nil
	case "BIGINT", "HUGEINT":
		return arrow.PrimitiveTypes.Int64, nil
	case "UTINYINT":
		return arrow.PrimitiveTypes.Uint8, nil
	case "USMALLINT":
		return arrow.PrimitiveTypes.Uint16, nil
	case "UINTEGER":
		return arrow.PrimitiveTypes.Uint32, nil
	case "UBIGINT":
		return arrow.PrimitiveTypes.Uint64, nil
	case "FLOAT":
		return arrow.PrimitiveTypes.Float32, nil
	case "DOUBLE":
		return arrow.PrimitiveTypes.Float64, nil
	case "DATE":
		return arrow.FixedWidthTypes.Date32, nil
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS":
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	}
	return nil, fmt.Errorf("type %s is not supported without the duckdb_arrow build tag (make build adds it)", name)
}

// rowsReader is an array.RecordReader over driver rows.
type rowsReader struct {
	ctx    context.Context
	rows   driver.Rows
	schema *arrow.Schema
	cur    arrow.RecordBatch
	err    error
	done   bool
	refs   int64
}

func (r *rowsReader) Retain() { atomic.AddInt64(&r.refs, 1) }

func (r *rowsReader) Release() {
	if atomic.AddInt64(&r.refs, -1) > 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.rows != nil {
		r.rows.Close()
		r.rows = nil
	}
}

func (r *rowsReader) Schema() *arrow.Schema          { return r.schema }
func (r *rowsReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is RecordBatch under its deprecated name, which the interface still
// requires.
func (r *rowsReader) Record() arrow.RecordBatch { return r.cur }
func (r *rowsReader) Err() error                { return r.err }

// Next builds the next batch of up to rowsBatchRows rows.
func (r *rowsReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.done || r.err != nil {
		return false
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, r.schema)
	defer b.Release()
	vals := make([]driver.Value, len(r.schema.Fields()))
	n := 0
	for n < rowsBatchRows {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			return false
		}
		err := r.rows.Next(vals)
		if errors.Is(err, io.EOF) {
			r.done = true
			break
		}
		if err != nil {
			r.err = err
			return false
		}
		for i, v := range vals {
			if err := appendValue(b.Field(i), v); err != nil {
				r.err = fmt.Errorf("column %q: %w", r.schema.Field(i).Name, err)
				return false
			}
		}
		n++
	}
	if n == 0 {
		return false
	}
	r.cur = b.NewRecordBatch()
	return true
}

// appendValue appends one value duckdb-go returned to a builder of the type
// arrowTypeOf chose for its column.
func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch b := b.(type) {
	case *array.StringBuilder:
		switch v := v.(type) {
		case string:
			b.Append(v)
		case []byte:
			b.Append(string(v))
		default:
			b.Append(fmt.Sprint(v))
		}
	case *array.BinaryBuilder:
		bs, ok := v.([]byte)
		if !ok {
			return fmt.Errorf("%T where bytes were expected", v)
		}
		b.Append(bs)
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return fmt.Errorf("%T where a boolean was expected", v)
		}
		b.Append(x)
	case *array.Date32Builder:
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("%T where a date was expected", v)
		}
		b.Append(arrow.Date32FromTime(t))
	case *array.TimestampBuilder:
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("%T where a timestamp was expected", v)
		}
		b.Append(arrow.Timestamp(t.UnixMicro()))
	case *array.Decimal128Builder:
		d, ok := v.(duckdb.Decimal)
		if !ok || d.Value == nil {
			return fmt.Errorf("%T where a decimal was expected", v)
		}
		b.Append(decimal128.FromBigInt(d.Value))
	case *array.ListBuilder:
		return appendList(b.ValueBuilder(), v, b.Append)
	case *array.FixedSizeListBuilder:
		return appendList(b.ValueBuilder(), v, b.Append)
	default:
		return appendNumber(b, v)
	}
	return nil
}

// appendList appends a list value element by element.
func appendList(elems array.Builder, v any, start func(bool)) error {
	items, ok := v.([]any)
	if !ok {
		return fmt.Errorf("%T where a list was expected", v)
	}
	start(true)
	for _, it := range items {
		if err := appendValue(elems, it); err != nil {
			return err
		}
	}
	return nil
}

// appendNumber appends an integer or float of any width duckdb-go returns.
func appendNumber(b array.Builder, v any) error {
	var i int64
	var u uint64
	var f float64
	var isFloat, isUint bool
	switch x := v.(type) {
	case int8:
		i = int64(x)
	case int16:
		i = int64(x)
	case int32:
		i = int64(x)
	case int64:
		i = x
	case uint8:
		u, isUint = uint64(x), true
	case uint16:
		u, isUint = uint64(x), true
	case uint32:
		u, isUint = uint64(x), true
	case uint64:
		u, isUint = x, true
	case float32:
		f, isFloat = float64(x), true
	case float64:
		f, isFloat = x, true
	case fmt.Stringer: // *big.Int (HUGEINT)
		p, err := strconv.ParseFloat(x.String(), 64)
		if err != nil {
			return fmt.Errorf("%T %s is not a number", v, x)
		}
		f, isFloat = p, true
	default:
		return fmt.Errorf("%T where a number was expected", v)
	}
	if isUint {
		i, f = int64(u), float64(u)
	} else if isFloat {
		i, u = int64(f), uint64(f)
	} else {
		u, f = uint64(i), float64(i)
	}
	switch b := b.(type) {
	case *array.Int8Builder:
		b.Append(int8(i))
	case *array.Int16Builder:
		b.Append(int16(i))
	case *array.Int32Builder:
		b.Append(int32(i))
	case *array.Int64Builder:
		b.Append(i)
	case *array.Uint8Builder:
		b.Append(uint8(u))
	case *array.Uint16Builder:
		b.Append(uint16(u))
	case *array.Uint32Builder:
		b.Append(uint32(u))
	case *array.Uint64Builder:
		b.Append(u)
	case *array.Float32Builder:
		b.Append(float32(f))
	case *array.Float64Builder:
		b.Append(f)
	default:
		return fmt.Errorf("no builder for %T", b)
	}
	return nil
}
