package lake

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// RowBuilder builds Arrow batches for a table one row at a time, by column
// name. Set every column of a row (unset columns are null), then call EndRow.
type RowBuilder struct {
	b     *array.RecordBuilder
	idx   map[string]int
	set   []bool
	bytes int
	// yield, when set (by WriteRows), takes each full batch.
	yield   func(arrow.RecordBatch) bool
	stopped bool
}

// NewRowBuilder makes a builder for records of schema (from Lake.WriteSchema).
func NewRowBuilder(schema *arrow.Schema) *RowBuilder {
	rb := &RowBuilder{b: array.NewRecordBuilder(memory.DefaultAllocator, schema), idx: map[string]int{}, set: make([]bool, schema.NumFields())}
	for i, f := range schema.Fields() {
		rb.idx[f.Name] = i
	}
	return rb
}

func (rb *RowBuilder) col(name string) (array.Builder, int) {
	i, ok := rb.idx[name]
	if !ok {
		panic(fmt.Sprintf("lake: no column %q in the table schema", name)) // a programming error
	}
	rb.set[i] = true
	return rb.b.Field(i), i
}

// String sets a string column.
func (rb *RowBuilder) String(name, v string) {
	b, _ := rb.col(name)
	b.(*array.StringBuilder).Append(v)
	rb.bytes += len(v)
}

// Bool sets a boolean column.
func (rb *RowBuilder) Bool(name string, v bool) {
	b, _ := rb.col(name)
	b.(*array.BooleanBuilder).Append(v)
}

// Long sets a long column.
func (rb *RowBuilder) Long(name string, v int64) {
	b, _ := rb.col(name)
	b.(*array.Int64Builder).Append(v)
}

// Double sets a double column.
func (rb *RowBuilder) Double(name string, v float64) {
	b, _ := rb.col(name)
	b.(*array.Float64Builder).Append(v)
}

// Time sets a timestamptz column.
func (rb *RowBuilder) Time(name string, v time.Time) {
	b, _ := rb.col(name)
	b.(*array.TimestampBuilder).Append(arrow.Timestamp(v.UnixMicro()))
}

// Null sets a column to null.
func (rb *RowBuilder) Null(name string) {
	b, _ := rb.col(name)
	b.AppendNull()
}

// EndRow closes the row: columns not set are null. Under WriteRows a full
// batch goes to the writer here.
func (rb *RowBuilder) EndRow() {
	for i, ok := range rb.set {
		if !ok {
			rb.b.Field(i).AppendNull()
		}
		rb.set[i] = false
	}
	if rb.yield != nil && !rb.stopped && rb.Full() && !rb.yield(rb.Batch()) {
		rb.stopped = true
	}
}

// Stopped reports that the writer failed and wants no more rows.
func (rb *RowBuilder) Stopped() bool { return rb.stopped }

// WriteRows writes the rows fill builds (setters, then EndRow, per row) as
// pending data files of the table; batches stream to the writer as they
// fill. An error from fill discards everything written.
func (l *Lake) WriteRows(ctx context.Context, name TableName, fill func(rb *RowBuilder) error) (*Pending, error) {
	schema, err := l.WriteSchema(ctx, name)
	if err != nil {
		return nil, err
	}
	var fillErr error
	records := func(yield func(arrow.RecordBatch, error) bool) {
		rb := NewRowBuilder(schema)
		rb.yield = func(rec arrow.RecordBatch) bool { return yield(rec, nil) }
		fillErr = fill(rb)
		if fillErr == nil && !rb.stopped && rb.Rows() > 0 {
			yield(rb.Batch(), nil)
		}
	}
	p, err := l.Write(ctx, name, schema, records)
	if fillErr != nil {
		if p != nil {
			p.Discard()
		}
		return nil, ctxError(ctx, fillErr)
	}
	return p, err
}

// Rows is the number of rows in the current batch.
func (rb *RowBuilder) Rows() int { return rb.b.Field(0).Len() }

// Full reports a batch worth handing to the writer (4 MB of strings or 8,192 rows).
func (rb *RowBuilder) Full() bool { return rb.bytes >= 4<<20 || rb.Rows() >= 8192 }

// Batch returns the rows so far as a record and starts a new batch.
func (rb *RowBuilder) Batch() arrow.RecordBatch {
	rb.bytes = 0
	return rb.b.NewRecordBatch()
}

// Int sets an int column.
func (rb *RowBuilder) Int(name string, v int32) {
	b, _ := rb.col(name)
	b.(*array.Int32Builder).Append(v)
}

// Longs sets a list<long> column (nil is null).
func (rb *RowBuilder) Longs(name string, v []int64) {
	setList[int64, *array.Int64Builder](rb, name, v, 8)
}

// Strings sets a list<string> column (nil is null).
func (rb *RowBuilder) Strings(name string, v []string) {
	b, _ := rb.col(name)
	lb := b.(*array.ListBuilder)
	if v == nil {
		lb.AppendNull()
		return
	}
	lb.Append(true)
	sb := lb.ValueBuilder().(*array.StringBuilder)
	for _, s := range v {
		sb.Append(s)
		rb.bytes += len(s)
	}
}

// Doubles sets a list<double> column (nil is null).
func (rb *RowBuilder) Doubles(name string, v []float64) {
	setList[float64, *array.Float64Builder](rb, name, v, 8)
}

// Floats sets a list<float> column (nil is null).
func (rb *RowBuilder) Floats(name string, v []float32) {
	setList[float32, *array.Float32Builder](rb, name, v, 4)
}

// setList sets a list column of fixed-width values (nil is null),
// width bytes each.
func setList[T any, B interface{ AppendValues([]T, []bool) }](rb *RowBuilder, name string, v []T, width int) {
	b, _ := rb.col(name)
	lb := b.(*array.ListBuilder)
	if v == nil {
		lb.AppendNull()
		return
	}
	lb.Append(true)
	lb.ValueBuilder().(B).AppendValues(v, nil)
	rb.bytes += width * len(v)
}
