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
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"modernc.org/sqlite" // registers the pure-Go "sqlite" driver for the catalog

	"github.com/distillery/distillery/internal/human"
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
	diskFull bool   // opened read-only because SQLite had no room for its -shm
	// overlayDir holds rewritten copies of the catalog and metadata of a
	// read-only lake that was moved or copied; removed by Close.
	overlayDir string
	// shared is set when the catalog is in PostgreSQL (catalog_pg.go).
	shared *sharedCatalog
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
	// Table, when set, is the one table the catalog lacks while its folder
	// holds metadata (the catalog registers other tables).
	Table TableName
}

func (e *CatalogLostError) Error() string {
	if e.Table.Table != "" {
		return fmt.Sprintf("lake %s: %s does not register table %s but %s holds its metadata: nothing was changed (a new table there would hide its history); run `distill recover --lake %s` to re-register it from its newest metadata file",
			e.Root, CatalogFile, e.Table, filepath.Join(WarehouseDir, e.Table.Namespace+".db", e.Table.Table, "metadata"), e.Root)
	}
	what := "registers no table"
	if e.Missing {
		what = "is missing"
	}
	return fmt.Sprintf("lake %s: %s %s but %s/ holds %s: nothing was changed; run `distill recover --lake %s` to re-register them from their newest metadata files",
		e.Root, CatalogFile, what, WarehouseDir, human.Plural(int64(e.Tables), "table"), e.Root)
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
	l, err := open(ctx, abs)
	return l, ctxError(ctx, err)
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
	if o, ok, err := readPointer(abs); err != nil || ok {
		if err != nil {
			return nil, err
		}
		l, err := openShared(ctx, abs, o, false) // the catalog is in PostgreSQL
		return l, ctxError(ctx, err)
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
	l, err := open(ctx, abs)
	return l, ctxError(ctx, err)
}

func open(ctx context.Context, abs string) (*Lake, error) {
	ro := readOnlyReason(abs)
	if ro == "" {
		// Checked read-only first: a read-write connection to a corrupt file
		// deletes the -wal beside it when it closes.
		if err := probeCorrupt(ctx, abs); err != nil {
			return nil, err
		}
	}
	diskFull := false
	db, n, err := openCatalog(ctx, catalogDSN(abs, ro))
	if err != nil && isDiskFull(err) && !fileNonEmpty(filepath.Join(abs, CatalogFile+"-wal")) {
		// SQLite could not make room for its -shm. With no WAL to read, the
		// database file is complete: read it immutable, which needs no
		// -shm, and refuse writes (they could not land anyway).
		if db2, n2, err2 := openCatalog(ctx, immutableDSN(abs)); err2 == nil {
			db, n, err, diskFull = db2, n2, nil, true
			if ro == "" {
				ro = "the disk is full"
			}
		}
	}
	if err != nil {
		return nil, catalogError(fmt.Errorf("open catalog %s: %w", abs, err), abs, ro)
	}
	if n == 0 {
		w, err := countWarehouseTables(abs)
		if err == nil && w > 0 {
			// Metadata beside an empty catalog may be a first table another
			// process is creating right now: wait for it, then count again.
			if err = waitForCreators(ctx, abs); err == nil {
				n, err = registeredTables(ctx, db)
			}
		}
		if err != nil {
			db.Close()
			return nil, err
		}
		if w > 0 && n == 0 {
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
	l := &Lake{Root: abs, RunID: NewRunID(), db: db, cat: cat, readOnly: ro, diskFull: diskFull}
	if err := l.settleRoot(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return l, nil
}

// openCatalog opens the catalog and checks it before iceberg-go creates its
// (empty) tables: it returns how many tables it registers (a catalog that
// registers nothing beside a warehouse that holds tables is a lost catalog),
// and fails on a corrupt file (quick_check) rather than later, midway.
func openCatalog(ctx context.Context, dsn string) (*sql.DB, int, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, 0, err
	}
	if err := quickCheck(ctx, db); err != nil {
		db.Close()
		return nil, 0, err
	}
	n, err := registeredTables(ctx, db)
	if err != nil {
		db.Close()
		return nil, 0, err
	}
	return db, n, nil
}

// probeCorrupt opens the catalog read-only and returns a
// *CatalogCorruptError when SQLite finds it is not a readable database;
// other errors are left to the read-write open, which says them.
func probeCorrupt(ctx context.Context, abs string) error {
	db, _, err := openCatalog(ctx, "file:"+filepath.Join(abs, CatalogFile)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err == nil {
		return db.Close()
	}
	if isCorrupt(err) {
		return &CatalogCorruptError{Root: abs, Err: fmt.Errorf("open catalog %s: %w", abs, err)}
	}
	return nil
}

// quickCheck runs SQLite's PRAGMA quick_check (the catalog is small: it
// reads every page once) and returns errCorruptPage when it finds damage.
func quickCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" && len(problems) < 3 {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: quick_check: %s", errCorruptPage, strings.Join(problems, "; "))
	}
	return nil
}

var errCorruptPage = errors.New("database disk image is malformed")

// SQLite result codes the catalog errors are told apart by (primary codes:
// the low byte of an extended code).
const (
	sqliteIOErr    = 10
	sqliteCorrupt  = 11
	sqliteFull     = 13
	sqliteNotADB   = 26
	sqliteIOErrShm = sqliteIOErr | 19<<8 // SQLITE_IOERR_SHMSIZE (4874): the -shm could not grow
)

func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// isCorrupt reports whether err says catalog.db is not a readable database.
func isCorrupt(err error) bool {
	if errors.Is(err, errCorruptPage) {
		return true
	}
	c := sqliteCode(err) & 0xff
	return c == sqliteCorrupt || c == sqliteNotADB
}

// isDiskFull reports whether err says the disk is full, including the disk
// I/O error SQLite gives when the WAL's -shm cannot grow.
func isDiskFull(err error) bool { return errors.Is(storageError(err), ErrDiskFull) }

// CatalogCorruptError is ErrCatalogCorrupt with the lake it concerns and
// what to do.
type CatalogCorruptError struct {
	Root string
	Err  error // what SQLite said
}

func (e *CatalogCorruptError) Error() string {
	c := filepath.Join(e.Root, CatalogFile)
	return fmt.Sprintf("lake %s: %s (%v): nothing was changed; run `distill recover --lake %s`, which moves it aside to %s.corrupt and rebuilds the catalog from %s/ (or move it aside yourself: `mv %s %s.corrupt`, with any -wal and -shm beside it)",
		e.Root, ErrCatalogCorrupt, e.Err, e.Root, CatalogFile, WarehouseDir, c, c)
}

func (e *CatalogCorruptError) Unwrap() []error { return []error{ErrCatalogCorrupt, e.Err} }

// Hint says what to do.
func (e *CatalogCorruptError) Hint() string { return "distill recover --lake " + e.Root }

// catalogError names what went wrong opening the catalog: a corrupt file,
// a full disk, or (for a lake opened read-only) the reason it is read-only.
func catalogError(err error, abs, ro string) error {
	switch {
	case isCorrupt(err):
		return &CatalogCorruptError{Root: abs, Err: err}
	case isDiskFull(err):
		return fmt.Errorf("%w (SQLite needs space beside %s to open the catalog, even to read it): %w",
			ErrDiskFull, filepath.Join(abs, CatalogFile), err)
	}
	return readOnlyHint(err, abs, ro)
}

func fileNonEmpty(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Size() > 0
}

// immutableDSN opens the catalog file read-only without WAL or locks: only
// for a catalog with no WAL to read.
func immutableDSN(abs string) string {
	return "file:" + filepath.Join(abs, CatalogFile) + "?mode=ro&immutable=1"
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
	if l.diskFull && os.Getenv(ReadOnlyEnv) != "1" {
		return fmt.Errorf("lake %s: %w (SQLite had no room beside %s to open it for writing; it was opened to read only): nothing was written", l.Root, ErrDiskFull, CatalogFile)
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
