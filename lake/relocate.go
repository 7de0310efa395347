package lake

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"

	"github.com/apache/iceberg-go"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/twmb/avro"
	"github.com/twmb/avro/ocf"
)

// A lake records its own root in catalog.db (table distill_lake, key root).
// Iceberg metadata holds absolute paths: the catalog's metadata_location,
// each metadata.json's location, metadata-log and manifest lists, each
// manifest list's manifest paths (and lengths), each manifest's data file
// paths. When Open finds the folder somewhere else than the recorded root
// (moved, or copied: the copy must never read or write its source), it
// rewrites all of them to point under the new root before anything reads
// them. Each file is rewritten to a temporary name and renamed, in the order
// manifests, manifest lists, metadata.json files, catalog.db (one
// transaction, which also records the new root); the target is recorded
// (relocating-to) before the first file changes, so a run that stops half
// way is finished by the next Open, wherever the folder then is.
const (
	lakePropsTable   = "distill_lake"
	propRoot         = "root"
	propRelocatingTo = "relocating-to"
	tmpSuffix        = ".distill-tmp"
)

// relocateFault, when set (by tests), is called after each file relocate
// rewrites; an error stops relocate there, as a crash would.
var relocateFault func(path string) error

func readLakeProps(ctx context.Context, db *sql.DB) (map[string]string, error) {
	out := map[string]string{}
	var has int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, lakePropsTable).Scan(&has); err != nil || has == 0 {
		return out, err
	}
	rows, err := db.QueryContext(ctx, `SELECT key, value FROM `+lakePropsTable)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func setLakeProp(ctx context.Context, db execer, key, value string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+lakePropsTable+` (key TEXT PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
		return err
	}
	if value == "" {
		_, err := db.ExecContext(ctx, `DELETE FROM `+lakePropsTable+` WHERE key = ?`, key)
		return err
	}
	_, err := db.ExecContext(ctx, `INSERT INTO `+lakePropsTable+` (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// settleRoot makes the lake's metadata point under l.Root: it records the
// root of a lake that has none recorded (made before roots were recorded:
// the root is read off its tables' metadata locations), and relocates a
// lake found elsewhere than its recorded root.
func (l *Lake) settleRoot(ctx context.Context) error {
	olds, recorded, err := l.oldRoots(ctx)
	if err != nil {
		return err
	}
	if len(olds) == 0 {
		if !recorded && l.readOnly == "" {
			if err := setLakeProp(ctx, l.db, propRoot, l.Root); err != nil {
				return fmt.Errorf("record the root of lake %s: %w", l.Root, err)
			}
		}
		return nil
	}
	if l.readOnly != "" {
		if err := l.overlay(ctx, olds); err != nil {
			return fmt.Errorf("%w: lake %s was moved or copied from %s and is %w (%s): reading its metadata through a temporary copy: %w",
				ErrRelocate, l.Root, olds[0], ErrReadOnly, l.readOnly, err)
		}
		return nil
	}
	lk, err := l.Lock(ctx, "relocate", nil)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	// Another process may have relocated it while this one waited.
	if olds, _, err = l.oldRoots(ctx); err != nil || len(olds) == 0 {
		return err
	}
	if err := l.relocate(ctx, olds); err != nil {
		return fmt.Errorf("%w: lake %s (moved or copied from %s): %w; nothing outside the lake was touched, and the next open resumes", ErrRelocate, l.Root, olds[0], err)
	}
	return nil
}

// oldRoots returns the roots whose paths must be rewritten to l.Root (none
// when the lake is where its metadata says). A recorded root that is the
// same folder under another name (a symlink) becomes l.Root instead.
func (l *Lake) oldRoots(ctx context.Context) (olds []string, recorded bool, err error) {
	props, err := readLakeProps(ctx, l.db)
	if err != nil {
		return nil, false, fmt.Errorf("read the root of lake %s: %w", l.Root, err)
	}
	rec, moving := props[propRoot], props[propRelocatingTo]
	recorded = rec != ""
	if rec == "" {
		if rec, err = l.derivedRoot(ctx); err != nil {
			return nil, false, err
		}
	}
	if rec == "" {
		rec = l.Root
	}
	if moving == "" {
		if rec == l.Root {
			return nil, recorded, nil
		}
		if sameDir(rec, l.Root) {
			l.Root = rec
			return nil, recorded, nil
		}
	}
	for _, r := range []string{rec, moving} {
		if r != "" && r != l.Root {
			olds = append(olds, r)
		}
	}
	return olds, recorded, nil
}

// derivedRoot reads the lake root off the first registered table whose
// metadata lies at ROOT/warehouse/NS.db/TABLE/metadata/FILE ("" if none).
func (l *Lake) derivedRoot(ctx context.Context) (string, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ? AND metadata_location IS NOT NULL`, catalogName)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return "", nil
		}
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var loc string
		if err := rows.Scan(&loc); err != nil {
			return "", err
		}
		if r := rootOfMetadata(localPath(loc)); r != "" {
			return r, nil
		}
	}
	return "", rows.Err()
}

// rootOfMetadata returns ROOT for ROOT/warehouse/NS/TABLE/metadata/FILE.
func rootOfMetadata(p string) string {
	meta := filepath.Dir(p)
	wh := filepath.Dir(filepath.Dir(filepath.Dir(meta)))
	if filepath.Base(meta) != "metadata" || filepath.Base(wh) != WarehouseDir {
		return ""
	}
	return filepath.Dir(wh)
}

func sameDir(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

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

// pathMap maps paths (file: URLs or plain) under an old root to the new
// root, keeping each path's spelling.
type pathMap struct {
	root  string
	pairs [][2]string // old prefix, new prefix
	news  []string    // the new root's spellings
}

func fileURL(p string) string { return (&url.URL{Scheme: "file", Path: p}).String() }

func spellings(root string) []string {
	return []string{fileURL(root), "file://" + root, "file:" + root, root}
}

func newPathMap(olds []string, root string) pathMap {
	m := pathMap{root: root, news: spellings(root)}
	for _, o := range olds {
		for i, sp := range spellings(o) {
			m.pairs = append(m.pairs, [2]string{sp, m.news[i]})
		}
	}
	return m
}

func under(s, prefix string) bool { return s == prefix || strings.HasPrefix(s, prefix+"/") }

// mapPath maps s if it is under an old root. A path under the new root is
// left alone when that is the closer match, so a rerun after a stop never
// maps a path twice, even when one root lies inside the other.
func (m pathMap) mapPath(s string) (string, bool) {
	best := -1
	for i, p := range m.pairs {
		if under(s, p[0]) && (best < 0 || len(p[0]) > len(m.pairs[best][0])) {
			best = i
		}
	}
	if best < 0 {
		return s, false
	}
	for _, n := range m.news {
		if under(s, n) && len(n) >= len(m.pairs[best][0]) {
			return s, false
		}
	}
	p := m.pairs[best]
	return p[1] + s[len(p[0]):], true
}

func (m pathMap) mapNull(s sql.NullString) (sql.NullString, bool) {
	if !s.Valid {
		return s, false
	}
	v, ok := m.mapPath(s.String)
	return sql.NullString{String: v, Valid: true}, ok
}

func (m pathMap) mapField(rec map[string]any, key string) bool {
	s, ok := rec[key].(string)
	if !ok {
		return false
	}
	v, changed := m.mapPath(s)
	if changed {
		rec[key] = v
	}
	return changed
}

// fixManifestEntry maps a manifest entry's data (or delete) file paths.
func (m pathMap) fixManifestEntry(rec map[string]any) bool {
	df, ok := rec["data_file"].(map[string]any)
	if !ok {
		return false
	}
	a := m.mapField(df, "file_path")
	b := m.mapField(df, "referenced_data_file")
	return a || b
}

// fixManifestFile maps a manifest list entry's manifest path and sets its
// length to that of the (already rewritten) manifest under the new root.
func (m pathMap) fixManifestFile(rec map[string]any) bool {
	changed := m.mapField(rec, "manifest_path")
	p, _ := rec["manifest_path"].(string)
	if lp := localPath(p); lp == m.root || strings.HasPrefix(lp, m.root+"/") {
		if fi, err := os.Stat(lp); err == nil {
			if n, ok := rec["manifest_length"].(int64); ok && n != fi.Size() {
				rec["manifest_length"] = fi.Size()
				changed = true
			}
		}
	}
	return changed
}

// rewriteMetadata maps the paths in one metadata.json: location,
// metadata-log, snapshots' manifest lists, statistics files, and path
// properties. Numbers are kept as written (snapshot ids are 64-bit).
func (m pathMap) rewriteMetadata(p, out string) error {
	raw, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	gz := len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b
	data := raw
	if gz {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return err
		}
		if data, err = io.ReadAll(zr); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return err
	}
	changed := m.mapField(doc, "location")
	each := func(key string, fn func(map[string]any) bool) {
		list, _ := doc[key].([]any)
		for _, e := range list {
			if o, ok := e.(map[string]any); ok && fn(o) {
				changed = true
			}
		}
	}
	each("metadata-log", func(o map[string]any) bool { return m.mapField(o, "metadata-file") })
	each("statistics", func(o map[string]any) bool { return m.mapField(o, "statistics-path") })
	each("partition-statistics", func(o map[string]any) bool { return m.mapField(o, "statistics-path") })
	each("snapshots", func(o map[string]any) bool {
		c := m.mapField(o, "manifest-list")
		list, _ := o["manifests"].([]any) // format v1 may list manifests inline
		for i, v := range list {
			if s, ok := v.(string); ok {
				if n, ok := m.mapPath(s); ok {
					list[i], c = n, true
				}
			}
		}
		return c
	})
	if props, ok := doc["properties"].(map[string]any); ok {
		for k := range props {
			if m.mapField(props, k) {
				changed = true
			}
		}
	}
	if !changed {
		return copyUnchanged(p, out, raw)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	body := bytes.TrimRight(buf.Bytes(), "\n")
	if gz {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		if _, err := zw.Write(body); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		body = zb.Bytes()
	}
	return writeFileAtomic(out, body)
}

// avroKind returns the record name of an Avro file's schema: manifest_entry
// for a manifest, manifest_file for a manifest list.
func avroKind(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	rd, err := ocf.NewReader(f)
	if err != nil {
		return "", nil // not an Avro container file: not ours to rewrite
	}
	defer rd.Close()
	var sc struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(rd.Metadata()["avro.schema"], &sc)
	return sc.Name, nil
}

// rewriteAvro decodes every record of an Avro container file, lets fix
// change them, and, if any changed, writes them back with the same schema
// text, codec and header metadata. The new file is decoded again and
// compared before it replaces the old one.
func rewriteAvro(p, out string, fix func(map[string]any) bool) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	recs, meta, err := readAvro(f)
	if err != nil {
		return err
	}
	changed := false
	for _, r := range recs {
		if m, ok := r.(map[string]any); ok && fix(m) {
			changed = true
		}
	}
	if !changed {
		if p == out {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return copyUnchanged(p, out, raw)
	}
	codec, err := avroCodec(string(meta["avro.codec"]))
	if err != nil {
		return err
	}
	user := map[string][]byte{}
	for k, v := range meta {
		if !strings.HasPrefix(k, "avro.") {
			user[k] = v
		}
	}
	sc, err := avro.Parse(string(meta["avro.schema"]))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w, err := ocf.NewWriter(&buf, sc, ocf.WithCodec(codec), ocf.WithMetadata(user))
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := w.Encode(r); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	back, _, err := readAvro(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	if !reflect.DeepEqual(back, recs) {
		return errors.New("the rewritten file reads back differently: left as it was")
	}
	return writeFileAtomic(out, buf.Bytes())
}

func readAvro(r io.Reader) ([]any, map[string][]byte, error) {
	rd, err := ocf.NewReader(r)
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	var recs []any
	for {
		var v any
		err := rd.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		recs = append(recs, v)
	}
	return recs, rd.Metadata(), nil
}

func avroCodec(name string) (ocf.Codec, error) {
	switch name {
	case "", "null":
		return nil, nil
	case "deflate":
		return ocf.DeflateCodec(flate.DefaultCompression), nil
	case "snappy":
		return ocf.SnappyCodec(), nil
	case "zstandard":
		return ocf.ZstdCodec(nil, nil)
	}
	return nil, fmt.Errorf("unknown Avro codec %q", name)
}

// copyUnchanged writes an unchanged file to out when out is not p.
func copyUnchanged(p, out string, data []byte) error {
	if p == out {
		return nil
	}
	return writeFileAtomic(out, data)
}

// writeFileAtomic replaces p with data: written under a temporary name in
// the same folder, synced, renamed over p, and the folder synced, so p is
// always either the old or the new file.
func writeFileAtomic(p string, data []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(p); err == nil {
		mode = fi.Mode().Perm()
	} else if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(p)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
