package lake

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
)

// warehouseTable is a table folder of warehouse/ (NS.db/TABLE/metadata/)
// that holds metadata files.
type warehouseTable struct {
	dir   string   // the table folder
	metas []string // its *.metadata.json files
}

// findWarehouseTables lists the table folders under ROOT/warehouse that hold
// at least one metadata.json. It reads three levels of folder names only.
func findWarehouseTables(root string) ([]warehouseTable, error) {
	wh := filepath.Join(root, WarehouseDir)
	nss, err := os.ReadDir(wh)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []warehouseTable
	for _, ns := range nss {
		if !ns.IsDir() {
			continue
		}
		tbls, err := os.ReadDir(filepath.Join(wh, ns.Name()))
		if err != nil {
			return nil, err
		}
		for _, t := range tbls {
			if !t.IsDir() {
				continue
			}
			wt, err := readTableFolder(filepath.Join(wh, ns.Name(), t.Name()))
			if err != nil {
				return nil, err
			}
			if len(wt.metas) > 0 {
				out = append(out, wt)
			}
		}
	}
	return out, nil
}

// tableFolderHasHistory reports whether the table's folder holds metadata
// with history (see hasHistory). Metadata of an empty table, whole or cut
// short, is what a process killed while creating the table leaves (its
// metadata lands before its catalog row): creating the table again there
// loses nothing.
func tableFolderHasHistory(root string, name TableName) (bool, error) {
	wt, err := readTableFolder(filepath.Join(root, WarehouseDir, name.Namespace+".db", name.Table))
	return err == nil && wt.hasHistory(), err
}

// readTableFolder lists the metadata files of the table folder dir (none
// when it has no metadata folder).
func readTableFolder(dir string) (warehouseTable, error) {
	wt := warehouseTable{dir: dir}
	files, err := os.ReadDir(filepath.Join(dir, "metadata"))
	if errors.Is(err, os.ErrNotExist) {
		return wt, nil
	}
	if err != nil {
		return wt, err
	}
	for _, f := range files {
		if f.Type().IsRegular() && strings.HasSuffix(f.Name(), ".metadata.json") {
			wt.metas = append(wt.metas, filepath.Join(dir, "metadata", f.Name()))
		}
	}
	return wt, nil
}

// hasHistory reports whether any of the table's metadata files records a
// snapshot (or cannot be read: then it may, and is kept as history). A file
// that reads but does not parse is one its writer was killed writing: a
// metadata file is complete before any catalog row names it, so it was
// never part of the table's history.
func (wt warehouseTable) hasHistory() bool {
	for _, p := range wt.metas {
		b, err := os.ReadFile(p)
		if err != nil {
			return true
		}
		var h metaHead
		if json.Unmarshal(b, &h) == nil && len(h.Snapshots) > 0 {
			return true
		}
	}
	return false
}

// countWarehouseTables counts the table folders whose metadata holds
// history: what a missing or empty catalog would hide.
func countWarehouseTables(root string) (int, error) {
	ts, err := findWarehouseTables(root)
	n := 0
	for _, t := range ts {
		if t.hasHistory() {
			n++
		}
	}
	return n, err
}

// RecoveredTable is one table Recover found in the warehouse.
type RecoveredTable struct {
	Name TableName
	// Metadata is the metadata file registered (or already registered).
	Metadata string
	// Skipped lists newer metadata files passed over: unreadable, or whose
	// manifest list is missing (a commit that never completed).
	Skipped []string
	// Already is true when the catalog registered this table with this
	// metadata file before Recover ran.
	Already   bool
	Snapshots int
	Rows      int64
	Tags      []string
}

// RecoverResult is what Recover did.
type RecoverResult struct {
	Root   string
	Tables []RecoveredTable
	// MovedAside lists the files of a corrupt catalog Recover renamed (to
	// NAME.corrupt) before it rebuilt the catalog; they are never deleted.
	MovedAside []string `json:",omitempty"`
}

// Registered counts the tables Recover registered (not already there).
func (r *RecoverResult) Registered() int {
	n := 0
	for _, t := range r.Tables {
		if !t.Already {
			n++
		}
	}
	return n
}

// metaHead is what Recover reads of a metadata.json.
type metaHead struct {
	Location        string `json:"location"`
	LastSequence    int64  `json:"last-sequence-number"`
	LastUpdated     int64  `json:"last-updated-ms"`
	CurrentSnapshot *int64 `json:"current-snapshot-id"`
	Snapshots       []struct {
		ID           int64  `json:"snapshot-id"`
		ManifestList string `json:"manifest-list"`
	} `json:"snapshots"`
}

type candidate struct {
	path    string
	version int64
	head    metaHead
}

// Recover re-registers, in the catalog of the lake in dir, every table whose
// metadata is in its warehouse, each at its newest usable metadata file
// (highest version, then sequence number, then update time; a file whose
// current manifest list is missing is passed over), namespaces included. It
// is idempotent: a table already registered at that file is left alone; a
// catalog that registers a table at another file is refused with
// ErrRecoverConflict and nothing is changed. A lake whose metadata points
// under another folder (moved or copied, then its catalog lost) is then
// relocated by Open as usual.
func Recover(ctx context.Context, dir string) (*RecoverResult, error) {
	abs, err := recoverDir(dir)
	if err != nil {
		return nil, err
	}
	if ro := readOnlyReason(abs); ro != "" {
		return nil, fmt.Errorf("lake %s is %w (%s): recover writes catalog.db", abs, ErrReadOnly, ro)
	}
	found, err := findWarehouseTables(abs)
	if err != nil {
		return nil, fmt.Errorf("recover %s: %w", abs, err)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%w: %s has no table metadata under %s/ to recover from", ErrNoLake, abs, WarehouseDir)
	}
	res := &RecoverResult{Root: abs}
	type pick struct {
		name    TableName
		meta    string // local path under abs
		oldRoot string // the root its metadata's paths are under
		skipped []string
	}
	var picks []pick
	oldRoot := ""
	for _, wt := range found {
		p, err := newestMetadata(abs, wt)
		if err != nil {
			return nil, err
		}
		loc := localPath(p.head.Location)
		name := TableName{Namespace: strings.TrimSuffix(filepath.Base(filepath.Dir(loc)), ".db"), Table: filepath.Base(loc)}
		root := filepath.Dir(filepath.Dir(filepath.Dir(loc)))
		if filepath.Base(filepath.Dir(filepath.Dir(loc))) != WarehouseDir {
			return nil, fmt.Errorf("%w: %s says its location is %s, not under a %s/ folder", ErrRelocate, p.path, loc, WarehouseDir)
		}
		if oldRoot == "" {
			oldRoot = root
		} else if root != oldRoot {
			return nil, fmt.Errorf("%w: tables of %s point under two roots, %s and %s", ErrRelocate, abs, oldRoot, root)
		}
		picks = append(picks, pick{name: name, meta: p.path, oldRoot: root, skipped: p.skipped})
	}
	slices.SortFunc(picks, func(a, b pick) int { return strings.Compare(a.name.String(), b.name.String()) })

	if res.MovedAside, err = setAsideCorruptCatalog(ctx, abs); err != nil {
		return nil, err
	}
	if err := setAsideStaleWAL(abs); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", catalogDSN(abs, ""))
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", abs, err)
	}
	defer db.Close()
	props, err := readLakeProps(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", abs, err)
	}
	if rec := props[propRoot]; rec != "" && rec != oldRoot {
		return nil, fmt.Errorf("%w: catalog.db of %s records root %s but the warehouse's metadata points under %s", ErrRecoverConflict, abs, rec, oldRoot)
	}
	registered := map[TableName]string{}
	if n, err := registeredTables(ctx, db); err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", abs, err)
	} else if n > 0 {
		rows, err := db.QueryContext(ctx, `SELECT table_namespace, table_name, metadata_location FROM iceberg_tables WHERE catalog_name = ?`, catalogName)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var ns, t string
			var loc sql.NullString
			if err := rows.Scan(&ns, &t, &loc); err != nil {
				rows.Close()
				return nil, err
			}
			registered[TableName{Namespace: ns, Table: t}] = localPath(loc.String)
		}
		rows.Close()
	}
	m := newPathMap([]string{abs}, oldRoot)
	var conflicts []string
	for _, p := range picks {
		want, _ := m.mapPath(p.meta) // as the catalog spells it: under oldRoot
		if got, ok := registered[p.name]; ok && got != want {
			conflicts = append(conflicts, fmt.Sprintf("%s is registered at %s, its newest metadata is %s", p.name, got, want))
		}
	}
	if len(conflicts) > 0 {
		return nil, fmt.Errorf("%w: %s: %s; nothing was changed (move catalog.db aside to recover every table from the warehouse)", ErrRecoverConflict, abs, strings.Join(conflicts, "; "))
	}
	cat, err := sqlcat.NewCatalog(catalogName, db, sqlcat.SQLite, iceberg.Properties{"warehouse": fileURL(filepath.Join(oldRoot, WarehouseDir))})
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", abs, err)
	}
	for _, p := range picks {
		want, _ := m.mapPath(p.meta)
		rt := RecoveredTable{Name: p.name, Metadata: p.meta, Skipped: p.skipped}
		if _, ok := registered[p.name]; ok {
			rt.Already = true
			res.Tables = append(res.Tables, rt)
			continue
		}
		ns := catalog.ToIdentifier(p.name.Namespace)
		if ok, err := cat.CheckNamespaceExists(ctx, ns); err != nil {
			return nil, err
		} else if !ok {
			if err := cat.CreateNamespace(ctx, ns, nil); err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
				return nil, fmt.Errorf("recover namespace %s: %w", p.name.Namespace, err)
			}
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, iceberg_type, metadata_location, previous_metadata_location) VALUES (?, ?, ?, 'TABLE', ?, NULL)`,
			catalogName, p.name.Namespace, p.name.Table, fileURL(want)); err != nil {
			return nil, fmt.Errorf("register %s: %w", p.name, err)
		}
		res.Tables = append(res.Tables, rt)
	}
	if props[propRoot] == "" {
		if err := setLakeProp(ctx, db, propRoot, oldRoot); err != nil {
			return nil, err
		}
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	// Open relocates when the metadata points under another root, and reads
	// back what was registered.
	l, err := Open(ctx, abs)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	for i, rt := range res.Tables {
		snaps, err := l.Snapshots(ctx, rt.Name)
		if err != nil {
			return nil, fmt.Errorf("read back %s: %w", rt.Name, err)
		}
		res.Tables[i].Snapshots = len(snaps)
		for _, s := range snaps {
			if s.Current {
				res.Tables[i].Rows = s.TotalRows
			}
			res.Tables[i].Tags = append(res.Tables[i].Tags, s.Tags...)
		}
		slices.Sort(res.Tables[i].Tags)
	}
	return res, nil
}

// setAsideCorruptCatalog renames a catalog.db that SQLite cannot read
// (ErrCatalogCorrupt) to catalog.db.corrupt (.corrupt.1, ... if taken), and
// its -wal and -shm to the same name plus -wal and -shm, so the set stays
// together for whoever wants to look at it; nothing is deleted. It returns
// the new names. A readable catalog is left alone.
func setAsideCorruptCatalog(ctx context.Context, abs string) ([]string, error) {
	cat := filepath.Join(abs, CatalogFile)
	if !fileNonEmpty(cat) {
		return nil, nil
	}
	perr := probeCorrupt(ctx, abs)
	var cerr *CatalogCorruptError
	if !errors.As(perr, &cerr) {
		return nil, perr // nil, or what closing the probe said
	}
	dst := cat + ".corrupt"
	for i := 1; fileExists(dst) || fileExists(dst+"-wal") || fileExists(dst+"-shm"); i++ {
		dst = fmt.Sprintf("%s.corrupt.%d", cat, i)
	}
	var moved []string
	for _, ext := range []string{"", "-wal", "-shm"} {
		if !fileExists(cat + ext) {
			continue
		}
		if err := os.Rename(cat+ext, dst+ext); err != nil {
			return moved, fmt.Errorf("recover %s: %s is corrupt (%v) and could not be moved aside: %w", abs, cat, cerr.Err, err)
		}
		moved = append(moved, dst+ext)
	}
	return moved, nil
}

// setAsideStaleWAL renames a -wal and -shm left beside a missing or empty
// catalog.db (to NAME.lost): SQLite would otherwise replay pages of the lost
// catalog into the new one.
func setAsideStaleWAL(abs string) error {
	cat := filepath.Join(abs, CatalogFile)
	if fi, err := os.Stat(cat); err == nil && fi.Size() > 0 {
		return nil
	}
	for _, ext := range []string{"-wal", "-shm"} {
		p := cat + ext
		if fileExists(p) {
			if err := os.Rename(p, p+".lost"); err != nil {
				return fmt.Errorf("recover %s: set aside %s: %w", abs, p, err)
			}
		}
	}
	return nil
}

type picked struct {
	path    string
	head    metaHead
	skipped []string
}

// newestMetadata picks a table folder's newest usable metadata file.
func newestMetadata(root string, wt warehouseTable) (picked, error) {
	var cands []candidate
	var skipped []string
	for _, p := range wt.metas {
		b, err := os.ReadFile(p)
		if err != nil {
			return picked{}, fmt.Errorf("recover: %w", err)
		}
		var h metaHead
		if err := json.Unmarshal(b, &h); err != nil || h.Location == "" {
			skipped = append(skipped, p)
			continue
		}
		v, _ := strconv.ParseInt(strings.SplitN(filepath.Base(p), "-", 2)[0], 10, 64)
		cands = append(cands, candidate{path: p, version: v, head: h})
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		switch {
		case a.version != b.version:
			return cmpInt(b.version, a.version)
		case a.head.LastSequence != b.head.LastSequence:
			return cmpInt(b.head.LastSequence, a.head.LastSequence)
		}
		return cmpInt(b.head.LastUpdated, a.head.LastUpdated)
	})
	for _, c := range cands {
		if c.usable(root, wt.dir) {
			return picked{path: c.path, head: c.head, skipped: skipped}, nil
		}
		skipped = append(skipped, c.path)
	}
	return picked{}, fmt.Errorf("%w: no usable metadata file in %s", ErrNoTable, filepath.Join(wt.dir, "metadata"))
}

// usable reports whether the candidate's current manifest list exists in
// the table folder (looked up by file name: its path may name another root).
func (c candidate) usable(root, dir string) bool {
	if c.head.CurrentSnapshot == nil || *c.head.CurrentSnapshot < 0 {
		return true
	}
	for _, s := range c.head.Snapshots {
		if s.ID == *c.head.CurrentSnapshot {
			return fileExists(filepath.Join(dir, "metadata", filepath.Base(localPath(s.ManifestList))))
		}
	}
	return false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
