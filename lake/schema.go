package lake

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// Type is a column type, named as in the Iceberg spec.
type Type string

// The column types stages use.
const (
	String      Type = "string"
	Long        Type = "long"
	Int         Type = "int"
	Double      Type = "double"
	Bool        Type = "boolean"
	TimestampTz Type = "timestamptz"
	Date        Type = "date"
	StringList  Type = "list<string>"
	DoubleList  Type = "list<double>"
	// FloatList is list<float>: embeddings (DuckDB casts one to FLOAT[N]
	// for array_cosine_similarity).
	FloatList Type = "list<float>"
	LongList  Type = "list<long>"
)

// Column is one column of a table schema.
type Column struct {
	Name     string
	Type     Type
	Required bool
	Doc      string
	// Distinct marks a column whose values are mostly unique (ids, texts,
	// hashes): it is written without dictionary encoding, which would only be
	// built and thrown away.
	Distinct bool
}

// Schema is a table's columns in order. Field ids are assigned by the lake.
type Schema []Column

func (t Type) iceberg(nextID func() int) (iceberg.Type, error) {
	switch t {
	case String:
		return iceberg.PrimitiveTypes.String, nil
	case Long:
		return iceberg.PrimitiveTypes.Int64, nil
	case Int:
		return iceberg.PrimitiveTypes.Int32, nil
	case Double:
		return iceberg.PrimitiveTypes.Float64, nil
	case Bool:
		return iceberg.PrimitiveTypes.Bool, nil
	case TimestampTz:
		return iceberg.PrimitiveTypes.TimestampTz, nil
	case Date:
		return iceberg.PrimitiveTypes.Date, nil
	case StringList:
		return &iceberg.ListType{ElementID: nextID(), Element: iceberg.PrimitiveTypes.String}, nil
	case DoubleList:
		return &iceberg.ListType{ElementID: nextID(), Element: iceberg.PrimitiveTypes.Float64}, nil
	case FloatList:
		return &iceberg.ListType{ElementID: nextID(), Element: iceberg.PrimitiveTypes.Float32}, nil
	case LongList:
		return &iceberg.ListType{ElementID: nextID(), Element: iceberg.PrimitiveTypes.Int64}, nil
	}
	return nil, fmt.Errorf("unknown column type %q", t)
}

func (s Schema) iceberg() (*iceberg.Schema, error) {
	id := 0
	next := func() int { id++; return id }
	fields := make([]iceberg.NestedField, 0, len(s))
	for _, c := range s {
		fid := next()
		typ, err := c.Type.iceberg(next)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		fields = append(fields, iceberg.NestedField{ID: fid, Name: c.Name, Type: typ, Required: c.Required, Doc: c.Doc})
	}
	return iceberg.NewSchema(0, fields...), nil
}

// tableProps are set on every table the lake creates: small appends must not
// pile up manifests or metadata files (see DESIGN.md, "Small files").
var tableProps = iceberg.Properties{
	"format-version":                          "2",
	table.ManifestMergeEnabledKey:             "true",
	table.ManifestMinMergeCountKey:            "16",
	table.MetadataDeleteAfterCommitEnabledKey: "true",
	table.MetadataPreviousVersionsMaxKey:      "20",
	"write.parquet.compression-codec":         "zstd",
	"write.parquet.compression-level":         "1",
	// Row groups are buffered in memory until full: 32 MB keeps a streaming
	// write's memory flat (the 128 MB default costs ~1 GB across writers).
	"write.parquet.row-group-size-bytes": "33554432",
	"write.target-file-size-bytes":       "134217728",
	"write.delete.mode":                  "copy-on-write",
	"write.update.mode":                  "copy-on-write",
}

func (s Schema) properties() iceberg.Properties {
	props := maps.Clone(tableProps)
	for _, c := range s {
		if c.Distinct {
			props[dictColumnKey+c.Name] = "false"
		}
	}
	return props
}

const dictColumnKey = "write.parquet.dict-encoding-enabled.column."

// EnsureTable creates the table with schema s, or, when it exists, adds the
// columns of s it lacks (schema evolution; columns are never dropped or retyped).
func (l *Lake) EnsureTable(ctx context.Context, name TableName, s Schema) error {
	return ctxError(ctx, l.ensureTable(ctx, name, s))
}

func (l *Lake) ensureTable(ctx context.Context, name TableName, s Schema) error {
	tbl, err := l.loadTable(ctx, name)
	if errors.Is(err, ErrNoTable) {
		if err := l.writable(); err != nil {
			return err
		}
		// Creators take the create lock, so that one process does not see
		// the metadata another is creating before its catalog row lands.
		lk, err := l.Lock(ctx, "create."+name.String(), nil)
		if err != nil {
			return fmt.Errorf("create table %s: %w", name, storageError(err))
		}
		defer lk.Unlock()
		if tbl, err := l.loadTable(ctx, name); err == nil {
			return l.evolve(ctx, name, tbl, s) // another process created it
		} else if !errors.Is(err, ErrNoTable) {
			return err
		}
		// A folder that already holds this table's history is a table the
		// catalog lost (an older catalog.db put back, a row deleted): a new
		// table there would start its history over beside the old one.
		// Checked before anything is written, the namespace included. The
		// metadata of a table that never had a snapshot (its creator was
		// killed before its catalog row landed) hides nothing.
		if has, err := tableFolderHasHistory(l.Root, name); err != nil {
			return fmt.Errorf("create table %s: %w", name, err)
		} else if has {
			return &CatalogLostError{Root: l.Root, Table: name}
		}
		ns := catalog.ToIdentifier(name.Namespace)
		if ok, err := l.cat.CheckNamespaceExists(ctx, ns); err != nil {
			return fmt.Errorf("namespace %s: %w", name.Namespace, err)
		} else if !ok {
			if err := l.cat.CreateNamespace(ctx, ns, nil); err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
				return fmt.Errorf("create namespace %s: %w", name.Namespace, err)
			}
		}
		sc, err := s.iceberg()
		if err != nil {
			return fmt.Errorf("table %s: %w", name, err)
		}
		_, err = l.cat.CreateTable(ctx, catalog.ToIdentifier(name.Namespace, name.Table), sc, catalog.WithProperties(s.properties()))
		if err == nil || !errors.Is(err, catalog.ErrTableAlreadyExists) {
			if err != nil {
				return fmt.Errorf("create table %s: %w", name, err)
			}
			return nil
		}
		tbl, err = l.loadTable(ctx, name)
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	return l.evolve(ctx, name, tbl, s)
}

// evolve adds the columns of s the table lacks. A column is looked up by the
// name distill knows it by (writerSchema), so one another engine renamed is
// not added a second time under its old name.
func (l *Lake) evolve(ctx context.Context, name TableName, tbl *table.Table, s Schema) error {
	has := func(tbl *table.Table, col string) bool {
		_, ok := writerSchema(tbl.Metadata()).FindFieldByName(col)
		return ok
	}
	var missing []Column
	for _, c := range s {
		if !has(tbl, c.Name) {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return l.retry(ctx, name, func(ctx context.Context, tbl *table.Table) error {
		tx := tbl.NewTransaction()
		upd := tx.UpdateSchema(true, false)
		for _, c := range missing {
			if has(tbl, c.Name) {
				continue
			}
			typ, err := c.Type.iceberg(func() int { return 0 })
			if err != nil {
				return err
			}
			upd = upd.AddColumn([]string{c.Name}, typ, c.Doc, false, nil)
		}
		if err := upd.Commit(); err != nil {
			return err
		}
		_, err := tx.Commit(ctx)
		return err
	})
}

// ArrowSchema returns the table's current schema as Arrow, with field ids:
// its columns under their current names. Writers build records in
// WriteSchema instead, which follows columns other engines renamed.
func (l *Lake) ArrowSchema(ctx context.Context, name TableName) (*arrow.Schema, error) {
	tbl, err := l.loadTable(ctx, name)
	if err != nil {
		return nil, err
	}
	return table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
}

// duckType maps an Iceberg type to the DuckDB type of its column.
func duckType(t iceberg.Type) (string, error) { return duckTypeNamed(t, nil) }

// duckTypeNamed is duckType with the struct fields named as a file names
// them (phys: field id → name, where it differs from the schema's).
func duckTypeNamed(t iceberg.Type, phys map[int]string) (string, error) {
	switch t := t.(type) {
	case iceberg.StringType:
		return "VARCHAR", nil
	case iceberg.Int64Type:
		return "BIGINT", nil
	case iceberg.Int32Type:
		return "INTEGER", nil
	case iceberg.Float64Type:
		return "DOUBLE", nil
	case iceberg.Float32Type:
		return "FLOAT", nil
	case iceberg.BooleanType:
		return "BOOLEAN", nil
	case iceberg.TimestampTzType:
		return "TIMESTAMPTZ", nil
	case iceberg.TimestampType:
		return "TIMESTAMP", nil
	case iceberg.DateType:
		return "DATE", nil
	case iceberg.BinaryType:
		return "BLOB", nil
	case iceberg.DecimalType:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision(), t.Scale()), nil
	case iceberg.TimeType:
		return "TIME", nil
	case iceberg.TimestampNsType:
		return "TIMESTAMP_NS", nil
	case iceberg.TimestampTzNsType:
		return "TIMESTAMPTZ", nil // DuckDB has no nanosecond TIMESTAMPTZ: read to microseconds
	case iceberg.UUIDType:
		return "UUID", nil
	case iceberg.FixedType:
		return "BLOB", nil
	case *iceberg.ListType:
		el, err := duckTypeNamed(t.Element, phys)
		if err != nil {
			return "", err
		}
		return el + "[]", nil
	case *iceberg.MapType:
		k, err := duckTypeNamed(t.KeyType, phys)
		if err != nil {
			return "", err
		}
		v, err := duckTypeNamed(t.ValueType, phys)
		if err != nil {
			return "", err
		}
		return "MAP(" + k + ", " + v + ")", nil
	case *iceberg.StructType:
		fields := make([]string, len(t.FieldList))
		for i, f := range t.FieldList {
			ft, err := duckTypeNamed(f.Type, phys)
			if err != nil {
				return "", fmt.Errorf("field %s: %w", f.Name, err)
			}
			name := f.Name
			if p, ok := phys[f.ID]; ok {
				name = p
			}
			fields[i] = quoteIdent(name) + " " + ft
		}
		return "STRUCT(" + strings.Join(fields, ", ") + ")", nil
	}
	return "", fmt.Errorf("column type %s has no DuckDB mapping here", t)
}

// renamed is an expression that gives the value expr, read with struct
// fields named as phys says, the schema's field names (DuckDB matches
// struct fields by name, not field id: pyiceberg and iceberg-go write "b c"
// as b_x20c). ok is false when no name differs: expr reads as it is.
func renamed(expr string, t iceberg.Type, phys map[int]string, depth int) (out string, ok bool) {
	switch t := t.(type) {
	case *iceberg.StructType:
		fields := make([]string, len(t.FieldList))
		for i, f := range t.FieldList {
			name := f.Name
			if p, has := phys[f.ID]; has {
				name, ok = p, true
			}
			sub, changed := renamed(expr+"."+quoteIdent(name), f.Type, phys, depth)
			ok = ok || changed
			fields[i] = quoteIdent(f.Name) + " := " + sub
		}
		if !ok {
			return expr, false
		}
		return fmt.Sprintf("CASE WHEN %s IS NULL THEN NULL ELSE struct_pack(%s) END", expr, strings.Join(fields, ", ")), true
	case *iceberg.ListType:
		v := fmt.Sprintf("x%d", depth)
		sub, changed := renamed(v, t.Element, phys, depth+1)
		if !changed {
			return expr, false
		}
		return fmt.Sprintf("list_transform(%s, %s -> %s)", expr, v, sub), true
	case *iceberg.MapType:
		v := fmt.Sprintf("x%d", depth)
		k, kc := renamed(v+".key", t.KeyType, phys, depth+1)
		val, vc := renamed(v+".value", t.ValueType, phys, depth+1)
		if !kc && !vc {
			return expr, false
		}
		return fmt.Sprintf("map_from_entries(list_transform(map_entries(%s), %s -> struct_pack(key := %s, value := %s)))", expr, v, k, val), true
	}
	return expr, false
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteString(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// RenameColumn renames a column; old snapshots read under their own names.
func (l *Lake) RenameColumn(ctx context.Context, name TableName, from, to string) error {
	return l.retry(ctx, name, func(ctx context.Context, tbl *table.Table) error {
		tx := tbl.NewTransaction()
		if err := tx.UpdateSchema(true, false).RenameColumn([]string{from}, to).Commit(); err != nil {
			return err
		}
		_, err := tx.Commit(ctx)
		return err
	})
}
