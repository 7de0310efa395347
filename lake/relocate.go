package lake

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/apache/iceberg-go"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
)

// relocate rewrites every path under one of olds to the same path under
// l.Root, reading and writing only files under l.Root.
func (l *Lake) relocate(ctx context.Context, olds []string) error {
	if err := setLakeProp(ctx, l.db, propRelocatingTo, l.Root); err != nil {
		return err
	}
	m := newPathMap(olds, l.Root)
	r := relocation{src: l.Root, dst: l.Root, data: m, meta: m}
	if err := r.files(ctx); err != nil {
		return err
	}
	return relocateCatalog(ctx, l.db, m, l.Root)
}

// relocation rewrites the metadata files of the lake at src into dst (the
// same folder, or another one for a read-only lake): data file paths map
// through data, every other path through meta.
type relocation struct {
	src, dst   string
	data, meta pathMap
}

// out is where the rewrite of src's file p goes.
func (r relocation) out(p string) string { return r.dst + strings.TrimPrefix(p, r.src) }

func (r relocation) files(ctx context.Context) error {
	var manifests, lists, metas []string
	wh := filepath.Join(r.src, WarehouseDir)
	err := filepath.WalkDir(wh, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch name := d.Name(); {
		case d.IsDir() && name == "data" && strings.Count(strings.TrimPrefix(p, wh), string(filepath.Separator)) == 3:
			return filepath.SkipDir // NS.db/TABLE/data holds Parquet only
		case d.IsDir() || !d.Type().IsRegular():
		case strings.HasSuffix(name, ".metadata.json"):
			metas = append(metas, p)
		case strings.HasSuffix(name, ".avro"):
			switch kind, err := avroKind(p); {
			case err != nil:
				return err
			case kind == "manifest_entry":
				manifests = append(manifests, p)
			case kind == "manifest_file":
				lists = append(lists, p)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	steps := []struct {
		files []string
		fn    func(p, out string) error
	}{
		{manifests, func(p, out string) error { return rewriteAvro(p, out, r.data.fixManifestEntry) }},
		{lists, func(p, out string) error { return rewriteAvro(p, out, r.meta.fixManifestFile) }},
		{metas, r.meta.rewriteMetadata},
	}
	for _, s := range steps {
		if err := r.each(ctx, s.files, s.fn); err != nil {
			return err
		}
	}
	return nil
}

// each runs fn on every file, on a few goroutines: the files of one step
// do not depend on each other, and most of the time is spent in fsync.
// It returns the first error; files already started are finished.
func (r relocation) each(ctx context.Context, files []string, fn func(p, out string) error) error {
	var (
		mu    sync.Mutex
		first error
		next  int
		wg    sync.WaitGroup
	)
	take := func() (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		if first != nil || next == len(files) {
			return "", false
		}
		if err := ctx.Err(); err != nil {
			first = err
			return "", false
		}
		next++
		return files[next-1], true
	}
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
		}
	}
	for range min(8, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p, ok := take(); ok; p, ok = take() {
				if err := fn(p, r.out(p)); err != nil {
					fail(fmt.Errorf("rewrite %s: %w", p, err))
					return
				}
				if relocateFault != nil {
					mu.Lock()
					err := relocateFault(p)
					if err != nil && first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// overlay makes a read-only lake found away from its recorded root
// readable without writing it: its catalog and metadata files (not its
// data) are copied, rewritten, into a temporary folder that the lake reads
// from until Close removes it.
func (l *Lake) overlay(ctx context.Context, olds []string) (err error) {
	tmp, err := os.MkdirTemp("", "distill-readonly-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	// VACUUM INTO copies a consistent catalog, WAL included, from the
	// read-only connection.
	if _, err := l.db.ExecContext(ctx, `VACUUM INTO ?`, filepath.Join(tmp, CatalogFile)); err != nil {
		return fmt.Errorf("copy the catalog: %w", err)
	}
	r := relocation{src: l.Root, dst: tmp, data: newPathMap(olds, l.Root), meta: newPathMap(append(olds, l.Root), tmp)}
	if err := r.files(ctx); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", catalogDSN(tmp, ""))
	if err != nil {
		return err
	}
	if err := relocateCatalog(ctx, db, r.meta, tmp); err != nil {
		db.Close()
		return err
	}
	cat, err := sqlcat.NewCatalog(catalogName, db, sqlcat.SQLite, iceberg.Properties{"warehouse": fileURL(filepath.Join(tmp, WarehouseDir)), "init_catalog_tables": "false"})
	if err != nil {
		db.Close()
		return err
	}
	l.db.Close()
	l.db, l.cat, l.overlayDir = db, cat, tmp
	return nil
}

// relocateCatalog rewrites the catalog's locations and records root as the
// lake's root, in one transaction.
func relocateCatalog(ctx context.Context, db *sql.DB, m pathMap, root string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	type row struct {
		ns, name  string
		cur, prev sql.NullString
	}
	var tables []row
	rs, err := tx.QueryContext(ctx, `SELECT table_namespace, table_name, metadata_location, previous_metadata_location FROM iceberg_tables WHERE catalog_name = ?`, catalogName)
	if err != nil {
		return err
	}
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.ns, &r.name, &r.cur, &r.prev); err != nil {
			rs.Close()
			return err
		}
		tables = append(tables, r)
	}
	rs.Close()
	for _, r := range tables {
		cur, _ := m.mapNull(r.cur)
		prev, _ := m.mapNull(r.prev)
		if _, err := tx.ExecContext(ctx, `UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?`,
			cur, prev, catalogName, r.ns, r.name); err != nil {
			return err
		}
	}
	type prop struct{ ns, key, value string }
	var props []prop
	rs, err = tx.QueryContext(ctx, `SELECT namespace, property_key, property_value FROM iceberg_namespace_properties WHERE catalog_name = ? AND property_value IS NOT NULL`, catalogName)
	if err != nil {
		return err
	}
	for rs.Next() {
		var p prop
		if err := rs.Scan(&p.ns, &p.key, &p.value); err != nil {
			rs.Close()
			return err
		}
		if v, ok := m.mapPath(p.value); ok {
			p.value = v
			props = append(props, p)
		}
	}
	rs.Close()
	for _, p := range props {
		if _, err := tx.ExecContext(ctx, `UPDATE iceberg_namespace_properties SET property_value = ? WHERE catalog_name = ? AND namespace = ? AND property_key = ?`,
			p.value, catalogName, p.ns, p.key); err != nil {
			return err
		}
	}
	if err := setLakeProp(ctx, tx, propRoot, root); err != nil {
		return err
	}
	if err := setLakeProp(ctx, tx, propRelocatingTo, ""); err != nil {
		return err
	}
	return tx.Commit()
}
