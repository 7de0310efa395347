// Package lake is the versioned store every stage reads and writes: Apache
// Iceberg tables (SQL catalog on SQLite, Parquet files in a local warehouse)
// queried through DuckDB. Open or Create returns a *Lake; stages write with
// Lake.Write then Pending.Commit and read with Lake.Session.
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

	db  *sql.DB
	cat *sqlcat.Catalog
}

// CatalogFile and WarehouseDir are the two things inside a lake directory.
const (
	CatalogFile  = "catalog.db"
	WarehouseDir = "warehouse"
	catalogName  = "distill"
)

// Create makes a new lake in dir (created if missing) and returns it open.
func Create(ctx context.Context, dir string) (*Lake, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(abs, CatalogFile)); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrLakeExists, abs)
	}
	if err := os.MkdirAll(filepath.Join(abs, WarehouseDir), 0o755); err != nil {
		return nil, fmt.Errorf("create lake %s: %w", abs, err)
	}
	return open(ctx, abs)
}

// Open opens the lake in dir, which must have been made by Create.
func Open(ctx context.Context, dir string) (*Lake, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(abs, CatalogFile)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNoLake, abs)
		}
		return nil, err
	}
	return open(ctx, abs)
}

func open(_ context.Context, abs string) (*Lake, error) {
	// WAL and a busy timeout on every pooled connection let two processes
	// share the catalog; commit conflicts are then retried in Pending.Commit.
	dsn := "file:" + filepath.Join(abs, CatalogFile) +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", abs, err)
	}
	warehouse := (&url.URL{Scheme: "file", Path: filepath.Join(abs, WarehouseDir)}).String()
	cat, err := sqlcat.NewCatalog(catalogName, db, sqlcat.SQLite, iceberg.Properties{"warehouse": warehouse})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open catalog %s: %w", abs, err)
	}
	return &Lake{Root: abs, RunID: NewRunID(), db: db, cat: cat}, nil
}

// Close releases the catalog.
func (l *Lake) Close() error {
	return l.db.Close()
}

// NewRunID returns a sortable, unique run id: UTC time plus random bits.
func NewRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
