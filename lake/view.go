package lake

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// fileGroup is files one read_parquet call reads: all with field ids (names
// nil) and the same nested names (phys), or all without, with the same
// top-level column names.
type fileGroup struct {
	names []string
	phys  map[int]string
	paths []string
	dels  []*fileDeletes
}

// selectView is the body of a view over a snapshot's files. A snapshot whose
// files all have field ids and no deletes reads with one read_parquet call
// (selectFiles); files without field ids are read by name through the
// table's name mapping, and files with deletes skip their deleted rows
// (deletes.go), each kind in its own call, joined by UNION ALL.
func (s *Session) selectView(ctx context.Context, tbl *table.Table, sc *iceberg.Schema, sf *scanFiles, foots []footer) (string, error) {
	var clean, dirty []*fileGroup
	add := func(groups []*fileGroup, names []string, phys map[int]string, p string, d *fileDeletes) []*fileGroup {
		for _, g := range groups {
			if (g.names == nil) == (names == nil) && slices.Equal(g.names, names) && maps.Equal(g.phys, phys) {
				g.paths, g.dels = append(g.paths, p), append(g.dels, d)
				return groups
			}
		}
		return append(groups, &fileGroup{names: names, phys: phys, paths: []string{p}, dels: []*fileDeletes{d}})
	}
	byName := map[string]bool{}
	renames := false
	for i, p := range sf.paths {
		var names []string
		var phys map[int]string
		if !foots[i].fieldIDs {
			names, byName[p] = foots[i].names, true
		} else if phys = nestedRenames(sc, foots[i]); phys != nil {
			renames = true
		}
		if sf.deletes != nil && sf.deletes[i] != nil {
			dirty = add(dirty, names, phys, p, sf.deletes[i])
		} else {
			clean = add(clean, names, phys, p, nil)
		}
	}
	if len(dirty) == 0 && len(byName) == 0 && !renames {
		return selectFiles(sf.paths, sc)
	}
	mapping := tbl.Metadata().NameMapping()
	if mapping == nil {
		mapping = sc.NameMapping()
	}
	var parts []string
	for _, g := range clean {
		part, err := selectGroup(g, sc, mapping, "", 0)
		if err != nil {
			return "", err
		}
		parts = append(parts, part)
	}
	if len(dirty) > 0 {
		var paths []string
		var dels []*fileDeletes
		for _, g := range dirty {
			paths, dels = append(paths, g.paths...), append(dels, g.dels...)
		}
		if len(paths) >= 1<<(64-rowKeyShift) {
			return "", fmt.Errorf("%d data files with delete files in one snapshot: compact the table first", len(paths))
		}
		keys, err := s.deletedRows(ctx, tbl, sc, paths, dels, sf.copies, byName)
		if err != nil {
			return "", err
		}
		base := 0
		for _, g := range dirty {
			part, err := selectGroup(g, sc, mapping, keys, base)
			if err != nil {
				return "", err
			}
			parts = append(parts, part)
			base += len(g.paths)
		}
	}
	return strings.Join(parts, " UNION ALL "), nil
}

// selectGroup reads one group of files. With keys (a table of deleted row
// keys) it skips the rows deleted, the group's files numbered from base.
func selectGroup(g *fileGroup, sc *iceberg.Schema, mapping iceberg.NameMapping, keys string, base int) (string, error) {
	var cols []string
	src := "read_parquet([" + quoteList(g.paths) + "])"
	if g.names == nil {
		entries, renamed, err := schemaEntries(sc, keys != "", g.phys)
		if err != nil {
			return "", err
		}
		src = fmt.Sprintf("read_parquet([%s], schema = map {%s})", quoteList(g.paths), strings.Join(entries, ", "))
		cols = []string{"*"}
		if keys != "" || g.phys != nil {
			cols = renamed
		}
	} else {
		var err error
		if cols, err = columnsByName(g, sc, mapping); err != nil {
			return "", err
		}
		if keys != "" && (slices.Contains(g.names, "file_index") || slices.Contains(g.names, "file_row_number")) {
			return "", fmt.Errorf("%s has no field ids and a column named file_index or file_row_number: its deletes cannot be applied (rewrite the table)", g.paths[0])
		}
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + src
	if keys != "" {
		q += fmt.Sprintf(" WHERE (((file_index + %d) << %d) | file_row_number::UBIGINT) NOT IN (SELECT k FROM %s)", base, rowKeyShift, keys)
	}
	return q, nil
}

// columnsByName reads files without field ids as Iceberg readers do: each
// column by the names the table's name mapping gives its field id (the
// names it had when such files were added), NULL when the file has none.
func columnsByName(g *fileGroup, sc *iceberg.Schema, mapping iceberg.NameMapping) ([]string, error) {
	var cols []string
	for _, f := range sc.Fields() {
		typ, err := duckType(f.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		names := []string{f.Name}
		for _, m := range mapping {
			if m.FieldID != nil && *m.FieldID == f.ID {
				names = m.Names
			}
		}
		expr := "NULL"
		for _, n := range names {
			if slices.Contains(g.names, n) {
				expr = quoteIdent(n)
				break
			}
		}
		cols = append(cols, fmt.Sprintf("CAST(%s AS %s) AS %s", expr, typ, quoteIdent(f.Name)))
	}
	return cols, nil
}

// nestedRenames lists the struct fields (at any depth) a file with field ids
// names otherwise than sc does: field id → the file's name; nil when none.
func nestedRenames(sc *iceberg.Schema, f footer) map[int]string {
	var out map[int]string
	var walk func(t iceberg.Type)
	walk = func(t iceberg.Type) {
		switch t := t.(type) {
		case *iceberg.StructType:
			for _, c := range t.FieldList {
				if name, ok := f.ids[c.ID]; ok && name != c.Name {
					if out == nil {
						out = map[int]string{}
					}
					out[c.ID] = name
				}
				walk(c.Type)
			}
		case *iceberg.ListType:
			walk(t.Element)
		case *iceberg.MapType:
			walk(t.KeyType)
			walk(t.ValueType)
		}
	}
	for _, c := range sc.Fields() {
		walk(c.Type)
	}
	return out
}
