package lake

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for a PostgreSQL catalog
)

// A shared lake keeps its Iceberg SQL catalog in PostgreSQL instead of
// DIR/catalog.db, so that several machines run stages against one lake. Its
// warehouse is a folder every machine sees at the same path (DIR/warehouse
// unless --warehouse names another; object storage is later work). The
// catalog database also holds what the folder's files did for a one-machine
// lake: the lake's properties (distill_lake: its warehouse) and the locks,
// as leases (distill_leases, lease.go), because file locks do not reach
// across machines.
//
// DIR keeps a small pointer file, catalog.json, naming the catalog (never
// its password) and the warehouse: `distill --lake DIR` then finds the
// catalog without --catalog, and a second process started on the lake (a
// test's child, a pipeline) opens the same catalog.

// Options says where a lake's catalog and warehouse are when they are not
// DIR/catalog.db and DIR/warehouse.
type Options struct {
	// Catalog is the postgres:// (or postgresql://) URL of the database that
	// holds the catalog; "" is DIR/catalog.db (or the catalog DIR's
	// catalog.json names). A search_path parameter puts the catalog's tables
	// in that schema, so one database can hold several lakes.
	Catalog string
	// Warehouse is the folder that holds the tables' files; "" is
	// DIR/warehouse (or, opening, the warehouse the catalog records). Only
	// with Catalog: a catalog.db lake keeps its files in DIR/warehouse.
	Warehouse string
}

// CatalogEnv is the environment variable of --catalog.
const CatalogEnv = "DISTILL_CATALOG"

// PointerFile is the file in DIR that names a shared lake's catalog.
const PointerFile = "catalog.json"

// ErrCatalogUnreachable means the catalog database could not be reached or
// refused the connection (bad URL, server down, wrong credentials).
var ErrCatalogUnreachable = errors.New("cannot reach the catalog")

// pointer is the content of PointerFile.
type pointer struct {
	Catalog   string `json:"catalog"`   // the URL without its password
	Warehouse string `json:"warehouse"` // absolute path
}

// sharedCatalog is what a lake on a PostgreSQL catalog adds to Lake.
type sharedCatalog struct {
	url       string // redacted, for messages
	warehouse string // absolute path of the warehouse folder, or its s3:// URL
	leases    *LeaseLocker
	// ioProps are the catalog properties of an s3:// warehouse (endpoint
	// and region from the environment; held in memory only).
	ioProps map[string]string
}

// OpenWith opens the lake in dir with its catalog and warehouse where o
// says. With an empty o it is Open.
func OpenWith(ctx context.Context, dir string, o Options) (*Lake, error) {
	if o.Catalog == "" {
		if o.Warehouse != "" {
			return nil, errWarehouseNeedsCatalog(o.Warehouse)
		}
		return Open(ctx, dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := checkCatalogURL(o.Catalog); err != nil {
		return nil, err
	}
	if fileExists(filepath.Join(abs, CatalogFile)) {
		return nil, fmt.Errorf("lake %s keeps its catalog in %s, but --catalog names %s: a lake has one catalog; drop --catalog (and %s) to open it, or move the lake to that catalog with `distill lake migrate --lake %s --catalog URL --warehouse DIR`", abs, CatalogFile, redact(o.Catalog), CatalogEnv, abs)
	}
	l, err := openShared(ctx, abs, o, false)
	return l, ctxError(ctx, err)
}

// CreateWith makes a new lake in dir with its catalog and warehouse where o
// says. With an empty o it is Create.
func CreateWith(ctx context.Context, dir string, o Options) (*Lake, error) {
	if o.Catalog == "" {
		if o.Warehouse != "" {
			return nil, errWarehouseNeedsCatalog(o.Warehouse)
		}
		return Create(ctx, dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := checkCatalogURL(o.Catalog); err != nil {
		return nil, err
	}
	for _, f := range []string{CatalogFile, PointerFile} {
		if fileExists(filepath.Join(abs, f)) {
			return nil, fmt.Errorf("%w: %s (it holds %s)", ErrLakeExists, abs, f)
		}
	}
	l, err := openShared(ctx, abs, o, true)
	return l, ctxError(ctx, err)
}

func errWarehouseNeedsCatalog(wh string) error {
	if isObjectStore(wh) {
		return fmt.Errorf("--warehouse %s needs --catalog postgres://...: a lake whose catalog is %s is one machine's and keeps its files in %s/; object storage is for a lake shared through a PostgreSQL catalog", wh, CatalogFile, WarehouseDir)
	}
	return fmt.Errorf("--warehouse %s needs --catalog: a lake whose catalog is %s keeps its files in %s/", wh, CatalogFile, WarehouseDir)
}

// checkCatalogURL accepts postgres:// and postgresql:// URLs.
func checkCatalogURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return fmt.Errorf("catalog %q: not a PostgreSQL URL; want postgres://USER@HOST:PORT/DATABASE (the password in PGPASSWORD or ~/.pgpass)", redact(s))
	}
	return nil
}

// redact is the URL without its password, for messages and catalog.json.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// readPointer reads DIR/catalog.json; ok is false when there is none.
func readPointer(abs string) (o Options, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(abs, PointerFile))
	if errors.Is(err, os.ErrNotExist) {
		return o, false, nil
	}
	if err != nil {
		return o, false, err
	}
	var p pointer
	if err := json.Unmarshal(b, &p); err != nil || p.Catalog == "" {
		return o, false, fmt.Errorf("lake %s: %s is not a catalog pointer (want {\"catalog\": \"postgres://...\", \"warehouse\": \"/path\"}): %v", abs, PointerFile, err)
	}
	return Options{Catalog: p.Catalog, Warehouse: p.Warehouse}, true, nil
}

func writePointer(abs string, o Options) error {
	b, err := json.MarshalIndent(pointer{Catalog: redact(o.Catalog), Warehouse: o.Warehouse}, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(abs, PointerFile+tmpSuffix)
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(abs, PointerFile))
}

// openShared opens (or, with create, makes) the lake whose catalog is the
// PostgreSQL database o.Catalog; abs is this machine's lake folder.
func openShared(ctx context.Context, abs string, o Options, create bool) (*Lake, error) {
	name := redact(o.Catalog)
	db, err := connectCatalog(ctx, o.Catalog)
	if err != nil {
		return nil, err
	}
	l, err := openSharedDB(ctx, abs, o, create, db, name)
	if err != nil {
		db.Close()
		return nil, err
	}
	return l, nil
}

// connectCatalog opens the catalog database and checks that it answers.
func connectCatalog(ctx context.Context, dsn string) (*sql.DB, error) {
	name := redact(dsn)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w: %w", name, ErrCatalogUnreachable, err)
	}
	// A few connections are plenty (a commit, a lease heartbeat, a scan):
	// many machines' processes share the server's connection limit.
	db.SetMaxOpenConns(16)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("catalog %s: %w (is the PostgreSQL server running, and do the host, port, user, password and database name match? --catalog or %s): %w", name, ErrCatalogUnreachable, CatalogEnv, err)
	}
	return db, nil
}

func openSharedDB(ctx context.Context, abs string, o Options, create bool, db *sql.DB, name string) (*Lake, error) {
	props, err := pgLakeProps(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: read the lake's properties: %w", name, err)
	}
	wh, err := sharedWarehouse(abs, o, props[propWarehouse], create, name)
	if err != nil {
		return nil, err
	}
	n, err := pgRegisteredTables(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", name, err)
	}
	if create && (n > 0 || props[propWarehouse] != "") {
		return nil, fmt.Errorf("%w: catalog %s already holds a lake (warehouse %s, %s); give another database, or a search_path=SCHEMA parameter, for a new lake",
			ErrLakeExists, name, props[propWarehouse], tablesPlural(n))
	}
	if !create && props[propWarehouse] == "" {
		return nil, fmt.Errorf("%w: catalog %s holds no lake: run `distill init --catalog URL --lake DIR` first", ErrNoLake, name)
	}
	var ioProps map[string]string
	if isObjectStore(wh) {
		if ioProps, err = s3Props(wh); err != nil {
			return nil, err
		}
		if err := probeWarehouse(ctx, wh, ioProps, create); err != nil {
			return nil, err
		}
	}
	ro := ""
	switch {
	case os.Getenv(ReadOnlyEnv) == "1":
		ro = ReadOnlyEnv + "=1"
	case fileExists(wh) && !writableDir(wh):
		ro = "the warehouse " + wh + " cannot be written"
	}
	if create {
		if err := createSharedLake(ctx, db, abs, wh, o); err != nil {
			return nil, fmt.Errorf("create lake in catalog %s: %w", name, err)
		}
	} else if ro == "" {
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, fmt.Errorf("lake %s: %w", abs, err)
		}
		if !fileExists(filepath.Join(abs, PointerFile)) {
			if err := writePointer(abs, Options{Catalog: o.Catalog, Warehouse: wh}); err != nil {
				return nil, fmt.Errorf("lake %s: %w", abs, err)
			}
		}
	}
	props2 := iceberg.Properties{"warehouse": fileURL(wh)}
	if ioProps != nil {
		props2 = iceberg.Properties{"warehouse": wh}
		for k, v := range ioProps {
			props2[k] = v
		}
	}
	if ro != "" {
		props2["init_catalog_tables"] = "false"
	}
	cat, err := sqlcat.NewCatalog(catalogName, db, sqlcat.Postgres, props2)
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", name, err)
	}
	leases, err := newLeaseLocker(db, name)
	if err != nil {
		return nil, err
	}
	return &Lake{Root: abs, RunID: NewRunID(), db: db, cat: cat, readOnly: ro,
		shared: &sharedCatalog{url: name, warehouse: wh, leases: leases, ioProps: ioProps}}, nil
}

func tablesPlural(n int) string {
	if n == 1 {
		return "1 table"
	}
	return fmt.Sprintf("%d tables", n)
}

// sharedWarehouse is the warehouse folder: the one the catalog records,
// which a --warehouse given must match; for a new lake, the one given or
// DIR/warehouse.
func sharedWarehouse(abs string, o Options, recorded string, create bool, name string) (string, error) {
	given := ""
	if isObjectStore(o.Warehouse) {
		g, err := checkS3Warehouse(o.Warehouse)
		if err != nil {
			return "", err
		}
		if !create && recorded != "" && g != recorded {
			return "", fmt.Errorf("--warehouse %s: the lake in catalog %s keeps its files in %s", g, name, recorded)
		}
		return g, nil
	}
	if o.Warehouse != "" {
		g, err := filepath.Abs(o.Warehouse)
		if err != nil {
			return "", err
		}
		given = g
	}
	switch {
	case strings.Contains(o.Warehouse, "://"):
		return "", fmt.Errorf("--warehouse %s: want a folder or s3://BUCKET/PREFIX", o.Warehouse)
	case create && given != "":
		return given, nil
	case create:
		return filepath.Join(abs, WarehouseDir), nil
	case recorded != "" && given != "" && given != recorded && !sameDir(given, recorded):
		return "", fmt.Errorf("--warehouse %s: the lake in catalog %s keeps its files in %s (every machine must see them at that path)", given, name, recorded)
	}
	return recorded, nil
}

const (
	propWarehouse = "warehouse"
	leaseTable    = "distill_leases"
)

// createSharedLake makes the warehouse, the catalog's tables (iceberg-go's,
// the lake's properties, the leases) and the pointer file.
func createSharedLake(ctx context.Context, db *sql.DB, abs, wh string, o Options) error {
	for _, d := range []string{abs, wh} {
		if isObjectStore(d) {
			continue
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if n, err := countWarehouseTables(filepath.Dir(wh)); !isObjectStore(wh) && err == nil && n > 0 && filepath.Base(wh) == WarehouseDir {
		return fmt.Errorf("the warehouse %s already holds %s: a new, empty catalog there would hide them", wh, tablesPlural(n))
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS ` + lakePropsTable + ` (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS ` + leaseTable + ` (name TEXT PRIMARY KEY, holder TEXT NOT NULL, owner TEXT NOT NULL, token TEXT NOT NULL, taken_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL)`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	// The warehouse is recorded last but one: a lake whose catalog records
	// it is complete but for the pointer file, which any open writes.
	if _, err := db.ExecContext(ctx, `INSERT INTO `+lakePropsTable+` (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, propWarehouse, wh); err != nil {
		return err
	}
	return writePointer(abs, Options{Catalog: o.Catalog, Warehouse: wh})
}

// pgLakeProps reads distill_lake (none when the table does not exist).
func pgLakeProps(ctx context.Context, db *sql.DB) (map[string]string, error) {
	out := map[string]string{}
	var has bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, lakePropsTable).Scan(&has); err != nil || !has {
		return out, err
	}
	return lakePropRows(ctx, db)
}

// pgRegisteredTables counts the catalog's tables: 0 when iceberg-go's
// tables do not exist yet.
func pgRegisteredTables(ctx context.Context, db *sql.DB) (int, error) {
	var has bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('iceberg_tables') IS NOT NULL`).Scan(&has); err != nil || !has {
		return 0, err
	}
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM iceberg_tables WHERE catalog_name = $1`, catalogName).Scan(&n)
	return n, err
}

// Catalog names where the lake's catalog is: DIR/catalog.db, or the
// PostgreSQL URL (without its password).
func (l *Lake) Catalog() string {
	if l.shared != nil {
		return l.shared.url
	}
	return filepath.Join(l.Root, CatalogFile)
}

// Warehouse is the folder that holds the lake's table files.
func (l *Lake) Warehouse() string {
	if l.shared != nil {
		return l.shared.warehouse
	}
	return filepath.Join(l.Root, WarehouseDir)
}

// recoverDir is dir made absolute, or an error for a lake whose catalog is
// in PostgreSQL: recover would make a catalog.db beside it that every
// machine but this one ignores.
func recoverDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	o, ok, err := readPointer(abs)
	if err != nil || !ok {
		return abs, err
	}
	return "", fmt.Errorf("lake %s keeps its catalog in PostgreSQL (%s, named in %s): recover rebuilds only a catalog.db; restore the PostgreSQL database from its backup instead", abs, redact(o.Catalog), PointerFile)
}
