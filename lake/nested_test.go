package lake

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// TestSession_NestedColumns: a table another engine made with struct, map
// and list columns reads through the views, nested values included (a
// struct or map column made the whole table unreadable), struct fields
// matched by field id: iceberg-go and pyiceberg write "b c" as b_x20c, and a
// renamed nested field keeps its old name in older files (DuckDB matches
// struct fields by name).
func TestSession_NestedColumns(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	sc := iceberg.NewSchema(0,
		iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.String, Required: true},
		iceberg.NestedField{ID: 2, Name: "s", Type: &iceberg.StructType{FieldList: []iceberg.NestedField{
			{ID: 5, Name: "a", Type: iceberg.PrimitiveTypes.Int32},
			{ID: 6, Name: "b c", Type: iceberg.PrimitiveTypes.String},
		}}},
		iceberg.NestedField{ID: 3, Name: "m", Type: &iceberg.MapType{KeyID: 7, KeyType: iceberg.PrimitiveTypes.String, ValueID: 8, ValueType: iceberg.PrimitiveTypes.Int64, ValueRequired: false}},
		iceberg.NestedField{ID: 4, Name: "l", Type: &iceberg.ListType{ElementID: 9, Element: &iceberg.StructType{FieldList: []iceberg.NestedField{
			{ID: 10, Name: "x-y", Type: iceberg.PrimitiveTypes.Float64},
		}}}},
		iceberg.NestedField{ID: 11, Name: "u", Type: iceberg.PrimitiveTypes.UUID},
	)
	ident := catalog.ToIdentifier(testTable.Namespace, testTable.Table)
	if err := l.cat.CreateNamespace(ctx, catalog.ToIdentifier(testTable.Namespace), nil); err != nil {
		t.Fatal(err)
	}
	tbl, err := l.cat.CreateTable(ctx, ident, sc)
	if err != nil {
		t.Fatal(err)
	}
	asc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, asc, strings.NewReader(`[
		{"id": "r1", "s": {"a": 7, "b c": "x"}, "m": [{"key": "k1", "value": 10}, {"key": "k2", "value": null}], "l": [{"x-y": 1.5}, {"x-y": 2.5}], "u": "6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
		{"id": "r2", "s": null, "m": null, "l": [], "u": null}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := array.NewRecordReader(asc, []arrow.RecordBatch{rec})
	if err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransaction()
	if err := tx.Append(ctx, rdr, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// Spark's ALTER TABLE … RENAME COLUMN s.a TO a2: the file still says a.
	tx = loadTable(t, l, testTable).NewTransaction()
	if err := tx.UpdateSchema(true, false).RenameColumn([]string{"s", "a"}, "a2").Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := queryInt(t, s, "SELECT count(*) FROM t.items"); n != 2 {
		t.Fatalf("count = %d, want 2", n)
	}
	var got string
	q := `SELECT string_agg(concat_ws('|', id, s.a2, s."b c", m['k1'], m['k2'] IS NULL, len(l), l[2]."x-y", u), ';' ORDER BY id) FROM t.items`
	if err := s.QueryRow(ctx, q, &got); err != nil {
		t.Fatal(err)
	}
	if want := "r1|7|x|10|true|2|2.5|6ba7b810-9dad-11d1-80b4-00c04fd430c8;r2|true|0"; got != want {
		t.Fatalf("nested values %q, want %q", got, want)
	}
}
