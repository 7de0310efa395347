// Package laketest plays another engine (Spark, pyiceberg) on a lake in
// tests: Open connects iceberg-go's own SQL catalog to the lake's catalog.db,
// not through package lake, and its methods change tables the way those
// engines do: create tables distill would not (format version 1,
// partitioned), change schemas, append rows, delete rows merge-on-read.
package laketest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/apache/iceberg-go/table"
	_ "modernc.org/sqlite" // the catalog's SQLite driver
)

// Engine is a second writer of a lake's catalog.
type Engine struct {
	cat *sqlcat.Catalog
}

// Open connects to the catalog of the lake at root (closed when t ends).
func Open(t testing.TB, root string) *Engine {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(root, "catalog.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	warehouse := (&url.URL{Scheme: "file", Path: filepath.Join(root, "warehouse")}).String()
	cat, err := sqlcat.NewCatalog("distill", db, sqlcat.SQLite, iceberg.Properties{"warehouse": warehouse})
	if err != nil {
		t.Fatal(err)
	}
	return &Engine{cat: cat}
}

func ident(name string) table.Identifier {
	ns, tbl, _ := strings.Cut(name, ".")
	return catalog.ToIdentifier(ns, tbl)
}

// CreateTable creates table name ("ns.table"), its namespace too.
func (e *Engine) CreateTable(t testing.TB, name string, sc *iceberg.Schema, props iceberg.Properties, opts ...catalog.CreateTableOpt) {
	t.Helper()
	ctx := context.Background()
	ns, _, _ := strings.Cut(name, ".")
	if ok, err := e.cat.CheckNamespaceExists(ctx, catalog.ToIdentifier(ns)); err != nil {
		t.Fatal(err)
	} else if !ok {
		if err := e.cat.CreateNamespace(ctx, catalog.ToIdentifier(ns), nil); err != nil {
			t.Fatal(err)
		}
	}
	opts = append(opts, catalog.WithProperties(props))
	if _, err := e.cat.CreateTable(ctx, ident(name), sc, opts...); err != nil {
		t.Fatal(err)
	}
}

// Table loads a table.
func (e *Engine) Table(t testing.TB, name string) *table.Table {
	t.Helper()
	tbl, err := e.cat.LoadTable(context.Background(), ident(name))
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// Commit runs change in one transaction of table name and commits it.
func (e *Engine) Commit(t testing.TB, name string, change func(tx *table.Transaction) error) {
	t.Helper()
	tx := e.Table(t, name).NewTransaction()
	if err := change(tx); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if _, err := tx.Commit(context.Background()); err != nil {
		t.Fatalf("commit %s: %v", name, err)
	}
}

// AlterSchema commits a schema change, as ALTER TABLE would (incompatible
// changes allowed: a required column may be added).
func (e *Engine) AlterSchema(t testing.TB, name string, change func(u *table.UpdateSchema) *table.UpdateSchema) {
	t.Helper()
	e.Commit(t, name, func(tx *table.Transaction) error {
		return change(tx.UpdateSchema(true, true)).Commit()
	})
}

// SetProperties sets table properties.
func (e *Engine) SetProperties(t testing.TB, name string, props iceberg.Properties) {
	t.Helper()
	e.Commit(t, name, func(tx *table.Transaction) error { return tx.SetProperties(props) })
}

// Row is one row to append: column name to value (string, int, int64,
// float64, bool, time.Time); columns left out are null.
type Row map[string]any

// Append appends rows to table name as one snapshot, by its current schema.
func (e *Engine) Append(t testing.TB, name string, rows ...Row) {
	t.Helper()
	tbl := e.Table(t, name)
	sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for _, r := range rows {
		for i, f := range sc.Fields() {
			v, ok := r[f.Name]
			if !ok || v == nil {
				b.Field(i).AppendNull()
				continue
			}
			if err := appendValue(b.Field(i), v); err != nil {
				t.Fatalf("column %s: %v", f.Name, err)
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rdr, err := array.NewRecordReader(sc, []arrow.RecordBatch{rec})
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	e.Commit(t, name, func(tx *table.Transaction) error { return tx.Append(context.Background(), rdr, nil) })
}

func appendValue(b array.Builder, v any) error {
	switch b := b.(type) {
	case *array.StringBuilder:
		if s, ok := v.(string); ok {
			b.Append(s)
			return nil
		}
	case *array.Int64Builder:
		switch n := v.(type) {
		case int:
			b.Append(int64(n))
			return nil
		case int64:
			b.Append(n)
			return nil
		}
	case *array.Int32Builder:
		if n, ok := v.(int); ok {
			b.Append(int32(n))
			return nil
		}
	case *array.Float64Builder:
		if x, ok := v.(float64); ok {
			b.Append(x)
			return nil
		}
	case *array.BooleanBuilder:
		if x, ok := v.(bool); ok {
			b.Append(x)
			return nil
		}
	case *array.TimestampBuilder:
		if x, ok := v.(time.Time); ok {
			b.Append(arrow.Timestamp(x.UnixMicro()))
			return nil
		}
	}
	return fmt.Errorf("value %v (%T) for a %T", v, v, b)
}

// Delete deletes the rows filter matches, as one snapshot (merge-on-read
// when the table's write.delete.mode says so: position deletes in format
// version 2, deletion vectors in 3).
func (e *Engine) Delete(t testing.TB, name string, filter iceberg.BooleanExpression) {
	t.Helper()
	e.Commit(t, name, func(tx *table.Transaction) error { return tx.Delete(context.Background(), filter, nil) })
}

// The methods below let tests outside package lake (which alone imports
// iceberg-go) play the other engine with plain Go values.

// CreateItems creates table name with columns id (string, required) and n
// (long), with the given table properties (e.g. "format-version": "1").
func (e *Engine) CreateItems(t testing.TB, name string, props map[string]string) {
	t.Helper()
	e.CreateTable(t, name, iceberg.NewSchema(0,
		iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.String, Required: true},
		iceberg.NestedField{ID: 2, Name: "n", Type: iceberg.PrimitiveTypes.Int64}), props)
}

// AddStringColumn adds a string column, as ALTER TABLE ADD COLUMN.
func (e *Engine) AddStringColumn(t testing.TB, name, col string, required bool) {
	t.Helper()
	e.AlterSchema(t, name, func(u *table.UpdateSchema) *table.UpdateSchema {
		return u.AddColumn([]string{col}, iceberg.PrimitiveTypes.String, "", required, nil)
	})
}

// RenameColumn renames a column, as ALTER TABLE RENAME COLUMN.
func (e *Engine) RenameColumn(t testing.TB, name, from, to string) {
	t.Helper()
	e.AlterSchema(t, name, func(u *table.UpdateSchema) *table.UpdateSchema { return u.RenameColumn([]string{from}, to) })
}

// MoveFirst moves a column first, as ALTER TABLE ALTER COLUMN ... FIRST.
func (e *Engine) MoveFirst(t testing.TB, name, col string) {
	t.Helper()
	e.AlterSchema(t, name, func(u *table.UpdateSchema) *table.UpdateSchema { return u.MoveFirst([]string{col}) })
}

// MoveAfter moves column col after column after.
func (e *Engine) MoveAfter(t testing.TB, name, col, after string) {
	t.Helper()
	e.AlterSchema(t, name, func(u *table.UpdateSchema) *table.UpdateSchema {
		return u.MoveAfter([]string{col}, []string{after})
	})
}

// DeleteWhere deletes the rows whose column col equals v (a string or an
// int64), as DELETE FROM ... WHERE col = v.
func (e *Engine) DeleteWhere(t testing.TB, name, col string, v any) {
	t.Helper()
	switch v := v.(type) {
	case string:
		e.Delete(t, name, iceberg.EqualTo(iceberg.Reference(col), v))
	case int64:
		e.Delete(t, name, iceberg.EqualTo(iceberg.Reference(col), v))
	default:
		t.Fatalf("DeleteWhere: value %v (%T): want a string or an int64", v, v)
	}
}

// EqualityDelete deletes the rows whose long column col holds one of vals
// with an equality delete file, as Flink or a CDC writer would.
func (e *Engine) EqualityDelete(t testing.TB, name, col string, vals ...int64) {
	t.Helper()
	f, ok := e.Table(t, name).Schema().FindFieldByName(col)
	if !ok {
		t.Fatalf("%s has no column %s", name, col)
	}
	sc := arrow.NewSchema([]arrow.Field{{Name: col, Type: arrow.PrimitiveTypes.Int64, Nullable: !f.Required,
		Metadata: arrow.NewMetadata([]string{table.ArrowParquetFieldIDKey}, []string{fmt.Sprint(f.ID)})}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(vals, nil)
	rec := b.NewRecordBatch()
	e.Commit(t, name, func(tx *table.Transaction) error {
		return tx.CommitEqualityDeletes(context.Background(), []int{f.ID}, func(yield func(arrow.RecordBatch, error) bool) { yield(rec, nil) }, nil)
	})
}
