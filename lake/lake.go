// Package lake is the versioned store every stage reads and writes: Apache
// Iceberg tables (SQL catalog on SQLite, Parquet files in a local warehouse)
// queried through DuckDB. Open or Create returns a *Lake; stages write with
// Lake.Write then Pending.Commit and read with Lake.Session. Open rewrites
// the metadata of a lake folder that was moved or copied (root.go), opens a
// lake it cannot write read-only, and refuses a lost catalog beside tables,
// which Recover re-registers (recover.go).
//
// Only this package imports iceberg-go, and only session.go imports duckdb-go.
package lake

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/iceberg-go"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver for the catalog
)

// Lake is an open lake directory: DIR/catalog.db and DIR/warehouse/.
type Lake struct {
	// Root is the absolute path of the lake directory.
	Root string
	// RunID identifies this process's run; every commit carries it.
	RunID string
	// Command is the command line that made this run; every commit carries it.
	Command string

	db       *sql.DB
	cat      *sqlcat.Catalog
	readOnly string // why the lake is read-only; "" when it can be written
	// overlayDir holds rewritten copies of the catalog and metadata of a
	// read-only lake that was moved or copied; removed by Close.
	overlayDir string
}

// CatalogFile and WarehouseDir are the two things inside a lake directory.
const (
	CatalogFile  = "catalog.db"
	WarehouseDir = "warehouse"
	catalogName  = "distill"
)

// ReadOnlyEnv, set to 1, opens every lake read-only even where it could be
// written (a lake on a read-only mount or without write permission is opened
// read-only anyway).
const ReadOnlyEnv = "DISTILL_READ_ONLY"

// CatalogLostError is ErrCatalogLost with the lake it concerns and a hint.
type CatalogLostError struct {
	Root    string
	Tables  int  // tables found in warehouse/
	Missing bool // catalog.db does not exist (else it exists but registers no table)
}

func (e *CatalogLostError) Error() string {
	what := "registers no table"
	if e.Missing {
		what = "is missing"
	}
	return fmt.Sprintf("lake %s: %s %s but %s/ holds %d tables: nothing was changed; run `distill recover --lake %s` to re-register them from their newest metadata files",
		e.Root, CatalogFile, what, WarehouseDir, e.Tables, e.Root)
}

func (e *CatalogLostError) Unwrap() error { return ErrCatalogLost }

// Hint says what to do.
func (e *CatalogLostError) Hint() string {
	return "distill recover --lake " + e.Root
}

// Create makes a new lake in dir (created if missing) and returns it open.
// It refuses a folder whose warehouse already holds tables: a new, empty
// catalog there would hide them (and expire would then delete them).
func Create(ctx context.Context, dir string) (*Lake, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	fi, statErr := os.Stat(filepath.Join(abs, CatalogFile))
	n, err := countWarehouseTables(abs)
	switch {
	case err != nil:
		return nil, err
	case statErr == nil && fi.Size() == 0 && n > 0:
		return nil, &CatalogLostError{Root: abs, Tables: n}
	case statErr == nil:
		return nil, fmt.Errorf("%w: %s", ErrLakeExists, abs)
	case n > 0:
		return nil, &CatalogLostError{Root: abs, Tables: n, Missing: true}
	}
	if err := os.MkdirAll(filepath.Join(abs, WarehouseDir), 0o755); err != nil {
		return nil, fmt.Errorf("create lake %s: %w", abs, err)
	}
	return open(ctx, abs)
}

// Open opens the lake in dir, which must have been made by Create. A lake
// moved or copied since it was last opened has its metadata rewritten to
// point under dir first (see relocate). A lake that cannot be written opens
// read-only.
func Open(ctx context.Context, dir string) (*Lake, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(filepath.Join(abs, CatalogFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if n, werr := countWarehouseTables(abs); werr == nil && n > 0 {
				return nil, &CatalogLostError{Root: abs, Tables: n, Missing: true}
			}
			return nil, fmt.Errorf("%w: %s", ErrNoLake, abs)
		}
		return nil, err
	}
	if fi.Size() == 0 {
		// Checked before SQLite opens it: opening would write a header.
		if n, err := countWarehouseTables(abs); err != nil {
			return nil, err
		} else if n > 0 {
			return nil, &CatalogLostError{Root: abs, Tables: n}
		}
	}
	return open(ctx, abs)
}

func open(ctx context.Context, abs string) (*Lake, error) {
	ro := readOnlyReason(abs)
	db, err := sql.Open("sqlite", catalogDSN(abs, ro))
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", abs, err)
	}
	// Before iceberg-go creates its (empty) tables: a catalog that registers
	// nothing beside a warehouse that holds tables is a lost catalog.
	n, err := registeredTables(ctx, db)
	if err != nil {
		db.Close()
		return nil, readOnlyHint(fmt.Errorf("open catalog %s: %w", abs, err), abs, ro)
	}
	if n == 0 {
		if w, err := countWarehouseTables(abs); err != nil {
			db.Close()
			return nil, err
		} else if w > 0 {
			db.Close()
			return nil, &CatalogLostError{Root: abs, Tables: w}
		}
	}
	warehouse := (&url.URL{Scheme: "file", Path: filepath.Join(abs, WarehouseDir)}).String()
	props := iceberg.Properties{"warehouse": warehouse}
	if ro != "" {
		props["init_catalog_tables"] = "false"
	}
	cat, err := sqlcat.NewCatalog(catalogName, db, sqlcat.SQLite, props)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open catalog %s: %w", abs, err)
	}
	l := &Lake{Root: abs, RunID: NewRunID(), db: db, cat: cat, readOnly: ro}
	if err := l.settleRoot(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return l, nil
}

// catalogDSN is the SQLite DSN of the catalog. Written, WAL and a busy
// timeout on every pooled connection let two processes share it; commit
// conflicts are then retried in Pending.Commit. Read-only, WAL needs the
// -shm file: where it exists (a writer is running, or one crashed) SQLite
// reads the WAL through it; where neither -wal nor -shm exists the database
// file is complete and is opened immutable, which needs neither.
func catalogDSN(abs, ro string) string {
	file := "file:" + filepath.Join(abs, CatalogFile)
	if ro == "" {
		return file + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	q := "?mode=ro&_pragma=busy_timeout(10000)"
	if !fileExists(filepath.Join(abs, CatalogFile+"-wal")) && !fileExists(filepath.Join(abs, CatalogFile+"-shm")) && !writableDir(abs) {
		q += "&immutable=1"
	}
	return file + q
}

// readOnlyReason says why the lake must be opened read-only ("" if it
// need not be): ReadOnlyEnv is set, or the folder or catalog.db cannot be
// written by this user.
func readOnlyReason(abs string) string {
	if os.Getenv(ReadOnlyEnv) == "1" {
		return ReadOnlyEnv + "=1"
	}
	if !writableDir(abs) {
		return "the folder cannot be written"
	}
	if c := filepath.Join(abs, CatalogFile); fileExists(c) && !writable(c) {
		return CatalogFile + " cannot be written"
	}
	if w := filepath.Join(abs, WarehouseDir); fileExists(w) && !writableDir(w) {
		return WarehouseDir + "/ cannot be written"
	}
	return ""
}

func readOnlyHint(err error, abs, ro string) error {
	if ro == "" {
		return err
	}
	return fmt.Errorf("lake %s is %w (%s): %w", abs, ErrReadOnly, ro, err)
}

// ReadOnly reports whether the lake was opened read-only, and why.
func (l *Lake) ReadOnly() (bool, string) { return l.readOnly != "", l.readOnly }

// writable returns ErrReadOnly, naming the lake and the reason, when the lake
// was opened read-only: every writing entry point checks it before it
// writes a file, so a read-only lake is left exactly as it was.
func (l *Lake) writable() error {
	if l.readOnly == "" {
		return nil
	}
	return fmt.Errorf("lake %s is %w (%s): this command writes to the lake; run it where the lake can be written", l.Root, ErrReadOnly, l.readOnly)
}

// registeredTables counts the catalog's tables without creating anything:
// 0 when iceberg-go's tables do not exist yet.
func registeredTables(ctx context.Context, db *sql.DB) (int, error) {
	var has int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'iceberg_tables'`).Scan(&has); err != nil {
		return 0, err
	}
	if has == 0 {
		return 0, nil
	}
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM iceberg_tables WHERE catalog_name = ?`, catalogName).Scan(&n)
	return n, err
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Close releases the catalog.
func (l *Lake) Close() error {
	err := l.db.Close()
	if l.overlayDir != "" {
		if rerr := os.RemoveAll(l.overlayDir); err == nil {
			err = rerr
		}
	}
	return err
}

// NewRunID returns a sortable, unique run id: UTC time plus random bits.
func NewRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
