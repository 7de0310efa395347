package lake

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// Other engines change the schemas of the tables distill writes: Spark adds a
// column, renames one, moves one first. Iceberg identifies a column by its
// field id, never by name or position, and so do distill's writers: they build
// records in the writer schema (WriteSchema), where every column keeps the
// name and type it had when it entered the table, and Write puts each column
// in its place in the table's current schema by field id.

// WriteSchema returns the Arrow schema distill's writers build records in:
// one field per current column of the table, with its Iceberg field id, named
// and typed as the column was when it entered the table's schema history. A
// column another engine renamed keeps the name distill knows it by; a column
// another engine added is there under its own name (a writer leaves it null);
// the order is the table's. Write accepts records of this schema, or of
// ArrowSchema, and matches their columns to the table's by field id.
func (l *Lake) WriteSchema(ctx context.Context, name TableName) (*arrow.Schema, error) {
	tbl, err := l.loadTable(ctx, name)
	if err != nil {
		return nil, err
	}
	sc, err := table.SchemaToArrowSchema(writerSchema(tbl.Metadata()), nil, true, false)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	return sc, nil
}

// writerSchema is the table's current schema with every column as it first
// appeared in the schema history (name, type and nullability; see
// WriteSchema). When two columns would share a name (a column renamed, then
// another added under its old name), the older column keeps it and the newer
// one takes its current name; a column with neither name free is left out
// (no writer of distill can know it, so it is written null).
func writerSchema(meta table.Metadata) *iceberg.Schema {
	cur := meta.CurrentSchema()
	history := meta.Schemas()
	slices.SortFunc(history, func(a, b *iceberg.Schema) int { return a.ID - b.ID })
	type col struct {
		pos, born int
		first     iceberg.NestedField
		current   iceberg.NestedField
	}
	fields := cur.Fields()
	cols := make([]col, len(fields))
	for i, f := range fields {
		cols[i] = col{pos: i, born: len(history), first: f, current: f}
		for j, s := range history {
			if old, ok := topLevel(s, f.ID); ok {
				cols[i].born, cols[i].first = j, old
				break
			}
		}
	}
	byAge := slices.Clone(cols)
	slices.SortStableFunc(byAge, func(a, b col) int { return a.born - b.born })
	taken := map[string]bool{}
	names := make([]string, len(cols))
	for _, c := range byAge {
		for _, n := range []string{c.first.Name, c.current.Name} {
			if !taken[n] {
				taken[n], names[c.pos] = true, n
				break
			}
		}
	}
	out := make([]iceberg.NestedField, 0, len(cols))
	for i, c := range cols {
		if names[i] == "" {
			continue
		}
		f := c.first
		f.Name = names[i]
		if !c.first.Type.Equals(c.current.Type) && !promoted(c.first.Type, c.current.Type) {
			f.Type = c.current.Type // not a promotion Write can cast: write the current type
		}
		out = append(out, f)
	}
	return iceberg.NewSchema(cur.ID, out...)
}

// topLevel reports whether field id is a top-level column of s.
func topLevel(s *iceberg.Schema, id int) (iceberg.NestedField, bool) {
	for _, f := range s.Fields() {
		if f.ID == id {
			return f, true
		}
	}
	return iceberg.NestedField{}, false
}

// promoted reports whether Iceberg allows promoting a column of type from to
// type to (int to long, float to double, a wider decimal): Write casts such a
// column.
func promoted(from, to iceberg.Type) bool {
	switch from.(type) {
	case iceberg.Int32Type:
		return to.Equals(iceberg.PrimitiveTypes.Int64)
	case iceberg.Float32Type:
		return to.Equals(iceberg.PrimitiveTypes.Float64)
	case iceberg.DecimalType:
		_, ok := to.(iceberg.DecimalType)
		return ok
	}
	return false
}

// tableShape maps records of a writer's Arrow schema onto a table's current
// schema by field id: Write's last step before the Parquet writers.
type tableShape struct {
	name     TableName
	target   *arrow.Schema // the table's current schema, with field ids
	src      []int         // per target column, the record column, or -1: null
	identity bool          // records already have the target schema
}

// fieldID is the Iceberg field id an Arrow field carries, or -1.
func fieldID(f arrow.Field) int {
	if v, ok := f.Metadata.GetValue(table.ArrowParquetFieldIDKey); ok {
		if id, err := strconv.Atoi(v); err == nil {
			return id
		}
	}
	return -1
}

// shapeFor plans how records of schema given become rows of tbl. A given
// column matches the table's column of the same field id (or, when it carries
// none, the same current name); a table column no given column matches is
// written null. A given column the table no longer has, and a required table
// column the records lack, are errors that name the table and the column.
func shapeFor(name TableName, tbl *table.Table, given *arrow.Schema) (*tableShape, error) {
	target, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	byID := map[int]int{}
	byName := map[string]int{}
	for i, f := range target.Fields() {
		byID[fieldID(f)] = i
		byName[f.Name] = i
	}
	sh := &tableShape{name: name, target: target, src: make([]int, target.NumFields())}
	for i := range sh.src {
		sh.src[i] = -1
	}
	for j, f := range given.Fields() {
		i, ok := byName[f.Name]
		if id := fieldID(f); id >= 0 {
			i, ok = byID[id]
		}
		if !ok && fieldID(f) < 0 {
			return nil, fmt.Errorf("%w: table %s has no column %q", ErrSchemaChanged, name, f.Name)
		}
		if !ok {
			return nil, fmt.Errorf("%w: table %s no longer has column %q (field id %d), which distill writes "+
				"(another engine dropped it while this command ran): run the command again, which adds the column back first",
				ErrSchemaChanged, name, f.Name, fieldID(f))
		}
		if sh.src[i] >= 0 {
			return nil, fmt.Errorf("%w: two columns written to table %s map to its column %q", ErrSchemaChanged, name, target.Field(i).Name)
		}
		sh.src[i] = j
	}
	sh.identity = given.NumFields() == target.NumFields()
	for i, f := range target.Fields() {
		j := sh.src[i]
		if j < 0 && !f.Nullable {
			return nil, fmt.Errorf("%w: table %s has a required column %q that distill does not write (another engine added it): "+
				"make it optional (ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL) so distill's rows hold NULL there",
				ErrSchemaChanged, name, f.Name, name, f.Name)
		}
		if j != i || !arrow.TypeEqual(given.Field(j).Type, f.Type) || given.Field(j).Name != f.Name || given.Field(j).Nullable != f.Nullable {
			sh.identity = false
		}
	}
	return sh, nil
}

// apply rebuilds rec in the table's schema. It releases rec.
func (sh *tableShape) apply(ctx context.Context, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	for i, f := range sh.target.Fields() {
		if j := sh.src[i]; j >= 0 && !f.Nullable && rec.Column(j).NullN() > 0 {
			nulls := rec.Column(j).NullN()
			rec.Release()
			return nil, fmt.Errorf("%w: column %q of table %s is required, but distill has no value for it in %d rows "+
				"(another engine added it or made it required): make it optional (ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL)",
				ErrSchemaChanged, f.Name, sh.name, nulls, sh.name, f.Name)
		}
	}
	if sh.identity {
		return rec, nil
	}
	defer rec.Release()
	n := rec.NumRows()
	cols := make([]arrow.Array, sh.target.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, f := range sh.target.Fields() {
		j := sh.src[i]
		if j < 0 {
			cols[i] = array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, int(n))
			continue
		}
		col := rec.Column(j)
		if arrow.TypeEqual(col.DataType(), f.Type) {
			col.Retain()
			cols[i] = col
			continue
		}
		cast, err := compute.CastArray(ctx, col, compute.SafeCastOptions(f.Type))
		if err != nil {
			return nil, fmt.Errorf("%w: column %q of table %s: %s to %s: %w", ErrSchemaChanged, f.Name, sh.name, col.DataType(), f.Type, err)
		}
		cols[i] = cast
	}
	return array.NewRecordBatch(sh.target, cols, n), nil
}
