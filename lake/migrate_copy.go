package lake

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/apache/iceberg-go/table"
)

// readMaybeGzip reads a file, gunzipped when it is gzip.
func readMaybeGzip(p string) ([]byte, error) {
	raw, err := os.ReadFile(p)
	if err != nil || len(raw) < 2 || raw[0] != 0x1f || raw[1] != 0x8b {
		return raw, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// copyTable copies one table's files into the target warehouse, paths
// rewritten: data and other files first, then manifests, manifest lists and
// metadata.json files, so that nothing points at a file not yet written.
func (mg *migration) copyTable(ctx context.Context, t srcTable) (MigratedTable, error) {
	mt := MigratedTable{Name: t.name.String()}
	if !t.cur.Valid {
		return mt, fmt.Errorf("the catalog records no metadata location")
	}
	loc, err := metadataLocation(localPath(t.cur.String))
	if err != nil {
		return mt, fmt.Errorf("read its metadata: %w", err)
	}
	dir := localPath(loc)
	if !under(dir, mg.srcWh) {
		return mt, fmt.Errorf("it lives at %s, outside the lake's warehouse %s: migrate moves the warehouse's tables only (move this table into the warehouse first)", dir, mg.srcWh)
	}
	tf, err := listTableFiles(dir)
	if err != nil {
		return mt, err
	}
	all := slices.Concat(tf.plain, tf.manifests, tf.lists, tf.metas)
	for _, p := range all {
		if fi, err := os.Stat(p); err == nil {
			mt.Bytes += fi.Size()
		}
	}
	mt.Files = len(all)
	mg.res.Files += mt.Files
	mg.res.Bytes += mt.Bytes
	mg.progress("%s: %d files, %d bytes", t.name, mt.Files, mt.Bytes)
	if mg.samePlace {
		return mt, nil
	}
	for _, p := range tf.plain {
		if err := ctx.Err(); err != nil {
			return mt, err
		}
		if err := mg.copyFile(p); err != nil {
			return mt, err
		}
	}
	sizes := map[string]int64{}
	var outside string // a data or delete file outside the table's folder
	fixEntry := func(rec map[string]any) bool {
		if df, ok := rec["data_file"].(map[string]any); ok && outside == "" {
			if fp, _ := df["file_path"].(string); fp != "" && !under(localPath(fp), dir) {
				outside = fp
			}
		}
		return mg.m.fixManifestEntry(rec)
	}
	for _, p := range tf.manifests {
		n, err := mg.rewrite(p, func(p, out string) error { return rewriteAvro(p, out, fixEntry) })
		if err != nil {
			return mt, err
		}
		if outside != "" {
			return mt, fmt.Errorf("manifest %s lists the file %s, outside the table's folder %s: migrate copies each table's folder only (rewrite the table, e.g. distill compact, so that its files are inside it)", p, outside, dir)
		}
		sizes[mg.out(p)] = n
	}
	fixList := func(rec map[string]any) bool {
		changed := mg.m.mapField(rec, "manifest_path")
		p, _ := rec["manifest_path"].(string)
		if n, ok := sizes[localPath(p)]; ok {
			if old, ok := rec["manifest_length"].(int64); ok && old != n {
				rec["manifest_length"] = n
				changed = true
			}
		}
		return changed
	}
	for _, p := range tf.lists {
		if _, err := mg.rewrite(p, func(p, out string) error { return rewriteAvro(p, out, fixList) }); err != nil {
			return mt, err
		}
	}
	for _, p := range tf.metas {
		if _, err := mg.rewrite(p, mg.m.rewriteMetadata); err != nil {
			return mt, err
		}
	}
	return mt, nil
}

// out is where the source file p goes in the target warehouse.
func (mg *migration) out(p string) string {
	o, _ := mg.m.mapPath(p)
	return o
}

// copyFile copies p byte for byte, unless the target already has a file of
// its size (written by an earlier, interrupted run: files are never
// changed once written, and a copy cut short is shorter).
func (mg *migration) copyFile(p string) error {
	out := mg.out(p)
	src, err := os.Open(p)
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	if f, err := mg.fio.Open(out); err == nil {
		st, serr := f.Stat()
		f.Close()
		if serr == nil && st.Size() == fi.Size() {
			return nil
		}
	}
	w, err := mg.fio.Create(out)
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", p, out, err)
	}
	if _, err := io.Copy(w, src); err != nil {
		w.Close()
		return fmt.Errorf("copy %s to %s: %w", p, out, err)
	}
	if err := syncClose(w); err != nil {
		return fmt.Errorf("copy %s to %s: %w", p, out, err)
	}
	mg.res.Copied++
	return nil
}

// syncClose flushes a written file to its disk, where the file system can
// (a local file), and closes it: the catalog must never name a file that
// a power loss could take back.
func syncClose(w io.Closer) error {
	if s, ok := w.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// writeSynced writes data to the target file out.
func (mg *migration) writeSynced(out string, data []byte) error {
	w, err := mg.fio.Create(out)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return err
	}
	return syncClose(w)
}

// rewrite runs fn from p into the staging folder and writes the result to
// the target warehouse; it returns the size written.
func (mg *migration) rewrite(p string, fn func(p, out string) error) (int64, error) {
	rel, err := filepath.Rel(mg.srcWh, p)
	if err != nil {
		return 0, err
	}
	staged := filepath.Join(mg.stage, rel)
	if err := os.MkdirAll(filepath.Dir(staged), 0o755); err != nil {
		return 0, err
	}
	if err := fn(p, staged); err != nil {
		return 0, fmt.Errorf("rewrite %s: %w", p, err)
	}
	data, err := os.ReadFile(staged)
	if err != nil {
		return 0, err
	}
	os.Remove(staged)
	out := mg.out(p)
	if err := mg.writeSynced(out, data); err != nil {
		return 0, fmt.Errorf("write %s: %w", out, err)
	}
	mg.res.Copied++
	return int64(len(data)), nil
}

// register records the namespaces (with their properties) and the tables,
// at their newest metadata in the target warehouse, in the target catalog,
// in one transaction. A rerun replaces what an earlier run registered.
func (mg *migration) register(ctx context.Context) error {
	if _, err := sqlcat.NewCatalog(catalogName, mg.db, sqlcat.Postgres, mg.catalogProps()); err != nil {
		return err
	}
	type prop struct {
		ns, key string
		value   sql.NullString
	}
	var props []prop
	rs, err := mg.src.db.QueryContext(ctx, `SELECT namespace, property_key, property_value FROM iceberg_namespace_properties WHERE catalog_name = ?`, catalogName)
	if err != nil {
		return err
	}
	for rs.Next() {
		var p prop
		if err := rs.Scan(&p.ns, &p.key, &p.value); err != nil {
			rs.Close()
			return err
		}
		p.value, _ = mg.m.mapNull(p.value)
		props = append(props, p)
	}
	rs.Close()
	tx, err := mg.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, p := range props {
		if _, err := tx.ExecContext(ctx, `INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES ($1, $2, $3, $4)
			ON CONFLICT (catalog_name, namespace, property_key) DO UPDATE SET property_value = excluded.property_value`, catalogName, p.ns, p.key, p.value); err != nil {
			return fmt.Errorf("namespace %s: %w", p.ns, err)
		}
	}
	keep := map[TableName]bool{}
	for _, t := range mg.tables {
		cur, _ := mg.m.mapNull(t.cur)
		prev, _ := mg.m.mapNull(t.prev)
		typ := t.typ
		if !typ.Valid {
			typ = sql.NullString{String: sqlcat.TableType, Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, iceberg_type, metadata_location, previous_metadata_location) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (catalog_name, table_namespace, table_name) DO UPDATE SET iceberg_type = excluded.iceberg_type, metadata_location = excluded.metadata_location, previous_metadata_location = excluded.previous_metadata_location`,
			catalogName, t.name.Namespace, t.name.Table, typ, cur, prev); err != nil {
			return fmt.Errorf("table %s: %w", t.name, err)
		}
		keep[t.name] = true
	}
	// A table an earlier run registered that the source no longer has.
	rows, err := tx.QueryContext(ctx, `SELECT table_namespace, table_name FROM iceberg_tables WHERE catalog_name = $1`, catalogName)
	if err != nil {
		return err
	}
	var gone []TableName
	for rows.Next() {
		var n TableName
		if err := rows.Scan(&n.Namespace, &n.Table); err != nil {
			rows.Close()
			return err
		}
		if !keep[n] {
			gone = append(gone, n)
		}
	}
	rows.Close()
	for _, n := range gone {
		if _, err := tx.ExecContext(ctx, `DELETE FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3`, catalogName, n.Namespace, n.Table); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// targetLake is the target catalog as a read-only Lake, for verification;
// it shares mg.db (not to be closed).
func (mg *migration) targetLake() (*Lake, error) {
	props := mg.catalogProps()
	props["init_catalog_tables"] = "false"
	cat, err := sqlcat.NewCatalog(catalogName, mg.db, sqlcat.Postgres, props)
	if err != nil {
		return nil, err
	}
	leases, err := newLeaseLocker(mg.db, mg.name)
	if err != nil {
		return nil, err
	}
	return &Lake{Root: mg.abs, RunID: NewRunID(), db: mg.db, cat: cat, readOnly: "it is being verified by lake migrate",
		shared: &sharedCatalog{url: mg.name, warehouse: mg.dst, leases: leases, ioProps: mg.ioProps}}, nil
}

// verify compares every table in source and target: snapshot ids, refs,
// and the rows of the current snapshot and of each tag (count and a
// checksum per column).
func (mg *migration) verify(ctx context.Context) error {
	tl, err := mg.targetLake()
	if err != nil {
		return err
	}
	ss, err := mg.src.Session(ctx, "")
	if err != nil {
		return err
	}
	defer ss.Close()
	ts, err := tl.Session(ctx, "")
	if err != nil {
		return err
	}
	defer ts.Close()
	mg.res.Snapshots, mg.res.Tags = 0, 0
	for i, t := range mg.tables {
		st, err := mg.src.loadTable(ctx, t.name)
		if err != nil {
			return fmt.Errorf("verify %s: source: %w", t.name, err)
		}
		tt, err := tl.loadTable(ctx, t.name)
		if err != nil {
			return fmt.Errorf("verify %s: the migrated table cannot be loaded: %w", t.name, err)
		}
		tags, err := compareTables(t.name, st, tt)
		if err != nil {
			return err
		}
		mt := &mg.res.Tables[i]
		mt.Snapshots, mt.Tags = len(st.Metadata().Snapshots()), len(tags)
		mg.res.Snapshots += mt.Snapshots
		mg.res.Tags += mt.Tags
		if st.CurrentSnapshot() == nil {
			continue
		}
		for _, at := range append([]string{""}, tags...) {
			ref := Ref{TableName: t.name, At: at}
			a, err := checksum(ctx, ss, ref)
			if err != nil {
				return fmt.Errorf("verify %s: source: %w", ref, err)
			}
			b, err := checksum(ctx, ts, ref)
			if err != nil {
				return fmt.Errorf("verify %s: migrated: %w", ref, err)
			}
			if !slices.Equal(a, b) {
				return fmt.Errorf("verify %s: the migrated rows differ from the source's (count and column checksums %v, migrated %v); the source is unchanged: report this", ref, a, b)
			}
			if at == "" {
				fmt.Sscan(a[0], &mt.Rows)
			}
		}
		mg.progress("%s: verified %d snapshots, %d tags, %d rows", t.name, mt.Snapshots, mt.Tags, mt.Rows)
	}
	return nil
}

// compareTables checks snapshot ids and refs; it returns the tag names.
func compareTables(n TableName, st, tt *table.Table) ([]string, error) {
	ids := func(t *table.Table) []int64 {
		var out []int64
		for _, s := range t.Metadata().Snapshots() {
			out = append(out, s.SnapshotID)
		}
		slices.Sort(out)
		return out
	}
	if a, b := ids(st), ids(tt); !slices.Equal(a, b) {
		return nil, fmt.Errorf("verify %s: snapshots differ: source %v, migrated %v", n, a, b)
	}
	refs := func(t *table.Table) []string {
		var out []string
		for name, r := range t.Metadata().Refs() {
			out = append(out, fmt.Sprintf("%s=%s:%d", name, r.SnapshotRefType, r.SnapshotID))
		}
		slices.Sort(out)
		return out
	}
	if a, b := refs(st), refs(tt); !slices.Equal(a, b) {
		return nil, fmt.Errorf("verify %s: refs differ: source %v, migrated %v", n, a, b)
	}
	var tags []string
	for name, r := range st.Metadata().Refs() {
		if r.SnapshotRefType == table.TagRef {
			tags = append(tags, name)
		}
	}
	slices.Sort(tags)
	return tags, nil
}

// checksum is the row count and, per column, the sum of its values'
// hashes, of ref, as text.
func checksum(ctx context.Context, s *Session, ref Ref) ([]string, error) {
	rel, _, err := s.Relation(ctx, ref)
	if err != nil {
		return nil, err
	}
	cols, err := s.Columns(ctx, rel)
	if err != nil {
		return nil, err
	}
	parts := []string{"count(*)::VARCHAR"}
	for _, c := range cols {
		parts = append(parts, "coalesce(sum(hash("+quoteIdent(c.Name)+")), 0)::VARCHAR")
	}
	out := make([]string, len(parts))
	dest := make([]any, len(parts))
	for i := range out {
		dest[i] = &out[i]
	}
	if err := s.QueryRow(ctx, "SELECT "+strings.Join(parts, ", ")+" FROM "+rel, dest...); err != nil {
		return nil, err
	}
	for i, c := range cols {
		out[i+1] = c.Name + ":" + out[i+1]
	}
	return out, nil
}
