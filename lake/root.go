package lake

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	return lakePropRows(ctx, db)
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

// lakePropRows reads every row of distill_lake, in SQLite or PostgreSQL
// (the caller has checked that the table exists).
func lakePropRows(ctx context.Context, db *sql.DB) (map[string]string, error) {
	out := map[string]string{}
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
