package lake

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	icebergio "github.com/apache/iceberg-go/io"
)

// Migrate moves a one-machine lake (DIR/catalog.db, DIR/warehouse) to a
// PostgreSQL catalog and another warehouse, keeping every snapshot, ref and
// tag. The steps, each safe to repeat, so that a rerun after a crash (kill
// -9 anywhere) finishes the job:
//
//  1. The target catalog records migrating-from = DIR (distill_lake) before
//     anything else; a catalog that holds tables or a lake and was not
//     started by a migration from DIR is refused.
//  2. Under the source's ingest lock and every table's lock (a writer that
//     holds one makes migrate fail at once), every file of every table
//     (data and delete files, statistics, manifests, manifest lists,
//     metadata.json) is copied through iceberg-go's IO into the warehouse,
//     every absolute path rewritten (pathMap). Data files already there with
//     the right size are not copied again.
//  3. The namespaces (with their properties) and the tables, at their
//     newest metadata, are registered in the target catalog in one
//     transaction.
//  4. Verification: every table's snapshot ids and refs, and the row count
//     and a checksum per column of its current snapshot and of each tag,
//     are the same in source and target; and no table of the source changed
//     while it was copied.
//  5. The target records its warehouse (only now does it open as a lake) and
//     migrated-from = DIR.
//  6. DIR/catalog.json is written (DIR now opens the PostgreSQL lake), and
//     DIR/catalog.db is renamed catalog.db.migrated-TIME: kept as it was, a
//     backup, but no longer opened by mistake. The source's files are never
//     written.
//
// Models, the label journal, encoders and pipeline state stay in DIR: they
// are per folder (docs/shared-catalog.md).

// MigrateOptions says where a lake moves to.
type MigrateOptions struct {
	Catalog   string // postgres:// URL of the target catalog
	Warehouse string // folder, or s3://BUCKET/PREFIX, of the target warehouse
	// Progress, if set, is told what migrate is doing.
	Progress func(msg string)
}

// MigrateResult is what Migrate did.
type MigrateResult struct {
	Source    string          `json:"source"`
	Catalog   string          `json:"catalog"`
	Warehouse string          `json:"warehouse"`
	Tables    []MigratedTable `json:"tables"`
	Snapshots int             `json:"snapshots"`
	Tags      int             `json:"tags"`
	Files     int             `json:"files"`
	Copied    int             `json:"files_copied"` // files written this run (a resumed run skips data files already there)
	Bytes     int64           `json:"bytes"`
	Seconds   float64         `json:"seconds"`
	Resumed   bool            `json:"resumed"`
	Already   bool            `json:"already_migrated"` // an earlier run had finished: nothing was done
	InPlace   bool            `json:"files_in_place"`   // --warehouse was DIR/warehouse: no file was copied
	Backup    string          `json:"catalog_backup"`   // what catalog.db was renamed to
	Pointer   string          `json:"pointer"`          // DIR/catalog.json
	PerFolder []string        `json:"per_folder"`       // what stays in DIR
}

// MigratedTable is one table's part of a MigrateResult.
type MigratedTable struct {
	Name      string `json:"name"`
	Snapshots int    `json:"snapshots"`
	Tags      int    `json:"tags"`
	Rows      int64  `json:"rows"`
	Files     int    `json:"files"`
	Bytes     int64  `json:"bytes"`
}

// Keys of distill_lake in the target catalog while a migration runs and
// after it.
const (
	propMigratingFrom = "migrating-from"
	propMigratingTo   = "migrating-to"
	propMigratedFrom  = "migrated-from"
)

// migrateFault, when set (by tests), is called after the copy; an error
// stops Migrate there, as a crash would.
var migrateFault func(point string) error

// perFolder is what stays in the lake folder after a migration.
var perFolder = []string{"models/", "journal/", "encoders/", "pipeline/"}

// srcTable is a table of the source catalog.
type srcTable struct {
	name      TableName
	typ       sql.NullString
	cur, prev sql.NullString
}

// migration is one run of Migrate.
type migration struct {
	abs, srcWh  string
	dst         string // the target warehouse: an absolute folder or a URL
	samePlace   bool   // dst is the source's warehouse: no file is copied
	url, name   string // target catalog URL, and without password
	o           MigrateOptions
	src         *Lake
	db          *sql.DB // target catalog
	m           pathMap
	fio         icebergio.WriteFileIO
	tables      []srcTable
	res         *MigrateResult
	stage       string // staging folder for rewritten files
	targetProps map[string]string
	ioProps     map[string]string // the S3 IO's properties when dst is in object storage
}

// Migrate moves the lake in dir to the catalog and warehouse o names; see
// the comment above.
func Migrate(ctx context.Context, dir string, o MigrateOptions) (*MigrateResult, error) {
	start := time.Now()
	mg, err := newMigration(dir, o)
	if err != nil {
		return nil, err
	}
	if done, err := mg.alreadySwitched(ctx); done || err != nil {
		return mg.res, err
	}
	if mg.db, err = connectCatalog(ctx, o.Catalog); err != nil {
		return nil, err
	}
	defer mg.db.Close()
	if mg.src, err = Open(ctx, mg.abs); err != nil {
		return nil, fmt.Errorf("open the lake to migrate: %w", err)
	}
	defer func() {
		if mg.src != nil {
			mg.src.Close()
		}
	}()
	if mg.src.shared != nil {
		return nil, fmt.Errorf("lake %s is already on a PostgreSQL catalog (%s): migrate moves a lake whose catalog is %s", mg.abs, mg.src.shared.url, CatalogFile)
	}
	if ro, why := mg.src.ReadOnly(); ro {
		return nil, fmt.Errorf("lake %s is read-only (%s): migrate takes its locks and renames its %s; make it writable first", mg.abs, why, CatalogFile)
	}
	unlock, err := mg.lockSource(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := mg.claim(ctx); err != nil {
		return nil, err
	}
	if err := mg.run(ctx); err != nil {
		return nil, err
	}
	unlock()
	if err := mg.switchFolder(ctx); err != nil {
		return nil, err
	}
	mg.res.Seconds = time.Since(start).Seconds()
	return mg.res, nil
}

func newMigration(dir string, o MigrateOptions) (*migration, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := checkCatalogURL(o.Catalog); err != nil {
		return nil, err
	}
	if o.Warehouse == "" {
		return nil, fmt.Errorf("lake migrate needs --warehouse: the folder the tables' files are copied to (give %s to keep them where they are)", filepath.Join(abs, WarehouseDir))
	}
	dst := o.Warehouse
	srcWh := filepath.Join(abs, WarehouseDir)
	if isObjectStore(dst) {
		return newS3Migration(abs, srcWh, o)
	}
	if strings.Contains(dst, "://") {
		return nil, fmt.Errorf("--warehouse %s: want a folder or s3://BUCKET/PREFIX", dst)
	}
	if dst, err = filepath.Abs(dst); err != nil {
		return nil, err
	}
	mg := &migration{abs: abs, srcWh: srcWh, dst: dst, url: o.Catalog, name: redact(o.Catalog), o: o,
		samePlace: sameDir(srcWh, dst) || srcWh == dst,
		res: &MigrateResult{Source: abs, Catalog: redact(o.Catalog), Warehouse: dst, Tables: []MigratedTable{},
			Pointer: filepath.Join(abs, PointerFile), PerFolder: perFolder}}
	if mg.samePlace {
		mg.dst = srcWh
		mg.res.Warehouse, mg.res.InPlace = srcWh, true
	} else if under(dst, srcWh) || under(srcWh, dst) {
		return nil, fmt.Errorf("--warehouse %s: must not lie inside the lake's warehouse %s or contain it; give a folder beside it (or %s itself, to keep the files where they are)", dst, srcWh, srcWh)
	}
	mg.m = migrationMap(srcWh, mg.dst)
	return mg, nil
}

// migrationMap maps paths under the source warehouse to dst, a folder or
// (object storage) a URL such as s3://bucket/prefix.
func migrationMap(srcWh, dst string) pathMap {
	if !strings.Contains(dst, "://") {
		return newPathMap([]string{srcWh}, dst)
	}
	m := pathMap{root: dst, news: []string{dst}}
	for _, sp := range spellings(srcWh) {
		m.pairs = append(m.pairs, [2]string{sp, dst})
	}
	return m
}

// checkEmptyWarehouse refuses a target warehouse that already holds files
// when a migration starts: a resumed run skips files already there.
func (mg *migration) checkEmptyWarehouse(ctx context.Context) error {
	if mg.samePlace {
		return nil
	}
	if mg.ioProps != nil {
		return mg.checkEmptyPrefix(ctx)
	}
	entries, err := os.ReadDir(mg.dst)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--warehouse %s: %w", mg.dst, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("--warehouse %s is not empty (it holds %s, ...): migrate copies the lake into a new, empty folder; give another one", mg.dst, entries[0].Name())
	}
	return nil
}

func (mg *migration) progress(format string, args ...any) {
	if mg.o.Progress != nil {
		mg.o.Progress(fmt.Sprintf(format, args...))
	}
}

// alreadySwitched finishes a migration whose folder switch was cut short:
// DIR/catalog.json already names the target catalog, which records a
// finished migration from DIR; only catalog.db may still need its rename.
func (mg *migration) alreadySwitched(ctx context.Context) (bool, error) {
	p, ok, err := readPointer(mg.abs)
	if err != nil || !ok {
		return false, err
	}
	if p.Catalog != mg.name {
		return true, fmt.Errorf("lake %s is already on a PostgreSQL catalog (%s, named in %s): migrate moves a lake whose catalog is %s", mg.abs, p.Catalog, PointerFile, CatalogFile)
	}
	db, err := connectCatalog(ctx, mg.url)
	if err != nil {
		return true, err
	}
	defer db.Close()
	props, err := pgLakeProps(ctx, db)
	if err != nil {
		return true, fmt.Errorf("catalog %s: read the lake's properties: %w", mg.name, err)
	}
	if props[propMigratedFrom] != mg.abs || props[propWarehouse] == "" {
		return true, fmt.Errorf("lake %s already points at catalog %s (%s), which records no finished migration from it: nothing to do", mg.abs, mg.name, PointerFile)
	}
	mg.res.Resumed, mg.res.Already = true, true
	mg.res.Warehouse = props[propWarehouse]
	backup, err := mg.retireCatalogDB()
	mg.res.Backup = backup
	return true, err
}

// claim checks that the target catalog is empty or holds this migration
// (then it resumes), and records the migration in it.
func (mg *migration) claim(ctx context.Context) error {
	props, err := pgLakeProps(ctx, mg.db)
	if err != nil {
		return fmt.Errorf("catalog %s: read the lake's properties: %w", mg.name, err)
	}
	n, err := pgRegisteredTables(ctx, mg.db)
	if err != nil {
		return fmt.Errorf("catalog %s: %w", mg.name, err)
	}
	mg.targetProps = props
	switch from := props[propMigratingFrom]; {
	case from == mg.abs && props[propMigratingTo] != mg.dst:
		return fmt.Errorf("catalog %s: a migration of %s to the warehouse %s was started and did not finish; rerun it with --warehouse %s (or drop the catalog's tables to start over)", mg.name, mg.abs, props[propMigratingTo], props[propMigratingTo])
	case from == mg.abs:
		mg.res.Resumed = true
		mg.progress("resuming the migration of %s to %s", mg.abs, mg.name)
	case props[propMigratedFrom] == mg.abs && props[propWarehouse] == mg.dst:
		// Finished in the catalog; the folder switch did not happen.
		mg.res.Resumed = true
	case from != "":
		return fmt.Errorf("%w: catalog %s holds an unfinished migration of another lake (%s); give another database, or a search_path=SCHEMA parameter", ErrLakeExists, mg.name, from)
	case n > 0 || props[propWarehouse] != "":
		return fmt.Errorf("%w: catalog %s already holds a lake (warehouse %s, %s); migrate needs an empty catalog: give another database, or a search_path=SCHEMA parameter", ErrLakeExists, mg.name, props[propWarehouse], tablesPlural(n))
	}
	if !mg.res.Resumed {
		if err := mg.checkEmptyWarehouse(ctx); err != nil {
			return err
		}
	}
	if props[propMigratedFrom] == mg.abs && props[propWarehouse] != "" {
		return nil
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS ` + lakePropsTable + ` (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS ` + leaseTable + ` (name TEXT PRIMARY KEY, holder TEXT NOT NULL, owner TEXT NOT NULL, token TEXT NOT NULL, taken_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL)`,
	}
	for _, s := range stmts {
		if _, err := mg.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("catalog %s: %w", mg.name, err)
		}
	}
	return pgSetProps(ctx, mg.db, map[string]string{propMigratingFrom: mg.abs, propMigratingTo: mg.dst})
}

// pgSetProps sets keys of distill_lake in one transaction ("" deletes).
func pgSetProps(ctx context.Context, db *sql.DB, kv map[string]string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if kv[k] == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM `+lakePropsTable+` WHERE key = $1`, k)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO `+lakePropsTable+` (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, kv[k])
		}
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}

// lockSource takes the source's ingest lock and every table's lock without
// waiting: a writer that holds one makes migrate fail.
func (mg *migration) lockSource(ctx context.Context) (func(), error) {
	tables, err := sourceTables(ctx, mg.src.db)
	if err != nil {
		return nil, fmt.Errorf("lake %s: list its tables: %w", mg.abs, err)
	}
	var held []Unlocker
	unlock := func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i].Unlock()
		}
		held = nil
	}
	names := []string{"ingest"}
	for _, t := range tables {
		names = append(names, tableLockName(t.name))
	}
	for _, n := range names {
		u, err := mg.src.TryLock(n, "lake migrate")
		if err != nil {
			unlock()
			if errors.Is(err, ErrLocked) {
				return nil, fmt.Errorf("lake %s: a writer holds its lock %q (%v): migrate copies a lake nobody writes; wait for it to finish and rerun", mg.abs, n, err)
			}
			return nil, err
		}
		held = append(held, u)
	}
	mg.tables = tables
	return unlock, nil
}

// sourceTables reads the source catalog's tables.
func sourceTables(ctx context.Context, db *sql.DB) ([]srcTable, error) {
	typ := "iceberg_type"
	var has int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('iceberg_tables') WHERE name = 'iceberg_type'`).Scan(&has); err != nil {
		return nil, err
	}
	if has == 0 {
		typ = "NULL"
	}
	rs, err := db.QueryContext(ctx, `SELECT table_namespace, table_name, `+typ+`, metadata_location, previous_metadata_location FROM iceberg_tables WHERE catalog_name = ? ORDER BY table_namespace, table_name`, catalogName)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []srcTable
	for rs.Next() {
		var t srcTable
		if err := rs.Scan(&t.name.Namespace, &t.name.Table, &t.typ, &t.cur, &t.prev); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rs.Err()
}

// run copies, registers and verifies, then marks the target a lake.
func (mg *migration) run(ctx context.Context) error {
	done := mg.targetProps[propMigratedFrom] == mg.abs && mg.targetProps[propWarehouse] != ""
	if !done {
		stage, err := os.MkdirTemp("", "distill-migrate-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(stage)
		mg.stage = stage
		if err := mg.openTargetIO(ctx); err != nil {
			return err
		}
		for _, t := range mg.tables {
			mt, err := mg.copyTable(ctx, t)
			if err != nil {
				return fmt.Errorf("table %s: %w", t.name, err)
			}
			mg.res.Tables = append(mg.res.Tables, mt)
			CrashPoint("migrate-copied", t.name)
		}
		if migrateFault != nil {
			if err := migrateFault("copied"); err != nil {
				return err
			}
		}
		if err := mg.register(ctx); err != nil {
			return fmt.Errorf("register the tables in catalog %s: %w", mg.name, err)
		}
		CrashPoint("migrate-registered", TableName{})
	} else {
		mg.progress("the catalog holds the finished migration; checking it against the source")
		if err := mg.sameAsRegistered(ctx); err != nil {
			return err
		}
		for _, t := range mg.tables {
			mg.res.Tables = append(mg.res.Tables, MigratedTable{Name: t.name.String()})
		}
	}
	// The source is checked before the verification (which reads its
	// newest state) and after it.
	if err := mg.unchanged(ctx); err != nil {
		return err
	}
	if err := mg.verify(ctx); err != nil {
		return err
	}
	if err := mg.unchanged(ctx); err != nil {
		return err
	}
	if done {
		return nil
	}
	props := map[string]string{propWarehouse: mg.dst, propMigratedFrom: mg.abs, propMigratingFrom: "", propMigratingTo: ""}
	srcProps, err := readLakeProps(ctx, mg.src.db)
	if err != nil {
		return err
	}
	for k, v := range srcProps {
		if k != propRoot && k != propRelocatingTo && k != propWarehouse && !strings.HasPrefix(k, "migrat") {
			props[k] = v
		}
	}
	if err := pgSetProps(ctx, mg.db, props); err != nil {
		return fmt.Errorf("catalog %s: record the lake: %w", mg.name, err)
	}
	CrashPoint("migrate-finished", TableName{})
	if migrateFault != nil {
		return migrateFault("finished")
	}
	return nil
}

// sameAsRegistered checks, for a migration finished in the catalog but
// whose folder was not switched, that every source table is still at the
// metadata the catalog registered (mapped into the new warehouse).
func (mg *migration) sameAsRegistered(ctx context.Context) error {
	reg := map[TableName]string{}
	rs, err := mg.db.QueryContext(ctx, `SELECT table_namespace, table_name, metadata_location FROM iceberg_tables WHERE catalog_name = $1`, catalogName)
	if err != nil {
		return fmt.Errorf("catalog %s: %w", mg.name, err)
	}
	for rs.Next() {
		var n TableName
		var loc sql.NullString
		if err := rs.Scan(&n.Namespace, &n.Table, &loc); err != nil {
			rs.Close()
			return err
		}
		reg[n] = loc.String
	}
	rs.Close()
	for _, t := range mg.tables {
		want, _ := mg.m.mapNull(t.cur)
		if got, ok := reg[t.name]; !ok || got != want.String {
			return fmt.Errorf("catalog %s holds the finished migration of %s, but table %s changed in %s since (the catalog has %q): the migrated lake misses those commits; to migrate again, drop the catalog's database and empty %s, then rerun", mg.name, mg.abs, t.name, CatalogFile, got, mg.dst)
		}
	}
	if len(reg) != len(mg.tables) {
		return fmt.Errorf("catalog %s holds %s, the lake %s has %d now: drop the catalog's database and empty %s, then rerun", mg.name, tablesPlural(len(reg)), mg.abs, len(mg.tables), mg.dst)
	}
	return nil
}

// unchanged fails when a source table changed (or a table came or went)
// since migrate read the catalog: the copy would miss those commits.
func (mg *migration) unchanged(ctx context.Context) error {
	now, err := sourceTables(ctx, mg.src.db)
	if err != nil {
		return err
	}
	if len(now) != len(mg.tables) {
		return fmt.Errorf("lake %s: its tables changed while it was migrated (%d then, %d now): rerun migrate when no stage writes to it", mg.abs, len(mg.tables), len(now))
	}
	for i, t := range now {
		if t.name != mg.tables[i].name || t.cur != mg.tables[i].cur {
			return fmt.Errorf("lake %s: table %s changed while it was migrated (metadata %s, now %s): rerun migrate when no stage writes to it; the migration resumes", mg.abs, t.name, mg.tables[i].cur.String, t.cur.String)
		}
	}
	return nil
}

// switchFolder points DIR at the target catalog and retires catalog.db.
func (mg *migration) switchFolder(ctx context.Context) error {
	if _, err := mg.src.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("lake %s: checkpoint %s: %w", mg.abs, CatalogFile, err)
	}
	mg.src.Close()
	mg.src = nil
	if err := writePointer(mg.abs, Options{Catalog: mg.url, Warehouse: mg.dst}); err != nil {
		return fmt.Errorf("lake %s: %w", mg.abs, err)
	}
	CrashPoint("migrate-pointer", TableName{})
	backup, err := mg.retireCatalogDB()
	mg.res.Backup = backup
	return err
}

// retireCatalogDB renames DIR/catalog.db (and its WAL files) to
// catalog.db.migrated-TIME; it returns the new name ("" when it was gone).
func (mg *migration) retireCatalogDB() (string, error) {
	db := filepath.Join(mg.abs, CatalogFile)
	if !fileExists(db) {
		matches, _ := filepath.Glob(db + ".migrated-*")
		if len(matches) > 0 {
			return matches[len(matches)-1], nil
		}
		return "", nil
	}
	backup := db + ".migrated-" + time.Now().UTC().Format("20060102T150405Z")
	for _, suffix := range []string{"-wal", "-shm"} {
		if fileExists(db + suffix) {
			if err := os.Rename(db+suffix, backup+suffix); err != nil {
				return "", err
			}
		}
	}
	return backup, os.Rename(db, backup)
}

// metadataLocation reads the "location" of a metadata.json.
func metadataLocation(p string) (string, error) {
	raw, err := readMaybeGzip(p)
	if err != nil {
		return "", err
	}
	var doc struct {
		Location string `json:"location"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return doc.Location, nil
}

// tableFiles lists a table's files under its folder, by kind.
type tableFiles struct {
	plain, manifests, lists, metas []string
}

func listTableFiles(dir string) (tableFiles, error) {
	var tf tableFiles
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch name := d.Name(); {
		case err != nil:
			return err
		case d.IsDir() || !d.Type().IsRegular() || strings.HasSuffix(name, tmpSuffix):
		case strings.HasSuffix(name, ".metadata.json") || strings.HasSuffix(name, ".metadata.json.gz"):
			tf.metas = append(tf.metas, p)
		case strings.HasSuffix(name, ".avro"):
			switch kind, err := avroKind(p); {
			case err != nil:
				return err
			case kind == "manifest_entry":
				tf.manifests = append(tf.manifests, p)
			case kind == "manifest_file":
				tf.lists = append(tf.lists, p)
			default:
				tf.plain = append(tf.plain, p)
			}
		default:
			tf.plain = append(tf.plain, p)
		}
		return nil
	})
	return tf, err
}
