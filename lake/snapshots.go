package lake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// Snapshot is one version of a table, with the lineage distill stored in it.
type Snapshot struct {
	Table     TableName
	Seq       int64 // what @N means: the Iceberg sequence number (format v1: the commit's place, see numbering)
	ID        int64 // Iceberg snapshot id
	Parent    int64 // parent snapshot id, 0 for the first
	Time      time.Time
	Operation string
	AddedRows int64
	TotalRows int64
	Stage     string
	RunID     string
	Command   string
	Inputs    string
	Filter    string
	Params    string
	Tags      []string
	Current   bool
}

// Ref returns the reference that pins this snapshot.
func (s Snapshot) Ref() Ref { return Ref{TableName: s.Table, At: strconv.FormatInt(s.Seq, 10)} }

func snapshotOf(name TableName, tbl *table.Table, snap *table.Snapshot) Snapshot {
	return numberedSnapshot(name, tbl, snap, numbering(tbl))
}

// numbering returns what @N names for each snapshot of tbl: its Iceberg
// sequence number, from format version 2 on. Format version 1 has no
// sequence numbers (iceberg-go reads 0 for every snapshot), so there the
// snapshots the metadata holds are numbered 1..N in commit order: by
// commit time, a parent before its child on a tie. Expiring a v1 table's
// oldest snapshots renumbers the rest.
func numbering(tbl *table.Table) func(*table.Snapshot) int64 {
	meta := tbl.Metadata()
	if meta.Version() >= 2 {
		return func(s *table.Snapshot) int64 { return s.SequenceNumber }
	}
	snaps := meta.Snapshots()
	byID := make(map[int64]*table.Snapshot, len(snaps))
	for i := range snaps {
		byID[snaps[i].SnapshotID] = &snaps[i]
	}
	depth := func(s *table.Snapshot) int {
		d := 0
		for s.ParentSnapshotID != nil && d <= len(snaps) {
			p, ok := byID[*s.ParentSnapshotID]
			if !ok {
				break
			}
			s, d = p, d+1
		}
		return d
	}
	order := slices.Clone(snaps)
	slices.SortStableFunc(order, func(a, b table.Snapshot) int {
		if c := cmp.Compare(a.TimestampMs, b.TimestampMs); c != 0 {
			return c
		}
		if c := cmp.Compare(depth(&a), depth(&b)); c != 0 {
			return c
		}
		return cmp.Compare(a.SnapshotID, b.SnapshotID)
	})
	nums := make(map[int64]int64, len(order))
	for i, s := range order {
		nums[s.SnapshotID] = int64(i + 1)
	}
	return func(s *table.Snapshot) int64 { return nums[s.SnapshotID] }
}

func numberedSnapshot(name TableName, tbl *table.Table, snap *table.Snapshot, seq func(*table.Snapshot) int64) Snapshot {
	s := Snapshot{
		Table: name, Seq: seq(snap), ID: snap.SnapshotID,
		Time: time.UnixMilli(snap.TimestampMs).UTC(),
	}
	if snap.ParentSnapshotID != nil {
		s.Parent = *snap.ParentSnapshotID
	}
	if snap.Summary != nil {
		p := snap.Summary.Properties
		s.Operation = string(snap.Summary.Operation)
		s.AddedRows, _ = strconv.ParseInt(p["added-records"], 10, 64)
		s.TotalRows, _ = strconv.ParseInt(p["total-records"], 10, 64)
		s.Stage, s.RunID, s.Command = p["distill.stage"], p["distill.run-id"], p["distill.command"]
		s.Inputs, s.Filter, s.Params = p["distill.inputs"], p["distill.filter"], p["distill.params"]
	}
	if cur := tbl.CurrentSnapshot(); cur != nil && cur.SnapshotID == snap.SnapshotID {
		s.Current = true
	}
	for name, ref := range tbl.Metadata().Refs() {
		if ref.SnapshotID == snap.SnapshotID && ref.SnapshotRefType == table.TagRef {
			s.Tags = append(s.Tags, name)
		}
	}
	slices.Sort(s.Tags)
	return s
}

func (l *Lake) loadTable(ctx context.Context, name TableName) (*table.Table, error) {
	tbl, err := l.cat.LoadTable(ctx, catalog.ToIdentifier(name.Namespace, name.Table))
	if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
		return nil, fmt.Errorf("%w: %s", ErrNoTable, name)
	}
	if err != nil {
		return nil, ctxError(ctx, fmt.Errorf("load %s: %w", name, err))
	}
	return tbl, nil
}

// Exists reports whether the table is in the catalog.
func (l *Lake) Exists(ctx context.Context, name TableName) (bool, error) {
	_, err := l.loadTable(ctx, name)
	if errors.Is(err, ErrNoTable) {
		return false, nil
	}
	return err == nil, err
}

// Current returns the table's current snapshot, or nil when it has none yet.
func (l *Lake) Current(ctx context.Context, name TableName) (*Snapshot, error) {
	tbl, err := l.loadTable(ctx, name)
	if err != nil {
		return nil, err
	}
	cur := tbl.CurrentSnapshot()
	if cur == nil {
		return nil, nil
	}
	s := snapshotOf(name, tbl, cur)
	return &s, nil
}

// Snapshots lists every snapshot of the table by sequence number.
func (l *Lake) Snapshots(ctx context.Context, name TableName) ([]Snapshot, error) {
	tbl, err := l.loadTable(ctx, name)
	if err != nil {
		return nil, err
	}
	snaps := tbl.Metadata().Snapshots()
	seq := numbering(tbl)
	out := make([]Snapshot, 0, len(snaps))
	for i := range snaps {
		out = append(out, numberedSnapshot(name, tbl, &snaps[i], seq))
	}
	slices.SortFunc(out, func(a, b Snapshot) int { return int(a.Seq - b.Seq) })
	return out, nil
}

// Resolve returns the snapshot a reference names. A reference without @ on a
// table that has no snapshot yet returns nil and no error.
func (l *Lake) Resolve(ctx context.Context, ref Ref) (*Snapshot, error) {
	tbl, err := l.loadTable(ctx, ref.TableName)
	if err != nil {
		return nil, err
	}
	snap, err := resolve(tbl, ref)
	if err != nil || snap == nil {
		return nil, err
	}
	s := snapshotOf(ref.TableName, tbl, snap)
	return &s, nil
}

func resolve(tbl *table.Table, ref Ref) (*table.Snapshot, error) {
	if ref.At == "" {
		return tbl.CurrentSnapshot(), nil
	}
	if seq, ok := ref.Seq(); ok {
		num := numbering(tbl)
		for _, s := range tbl.Metadata().Snapshots() {
			if num(&s) == seq {
				return &s, nil
			}
		}
		return nil, fmt.Errorf("%w: %s has no snapshot with sequence number %d", ErrNoSnapshot, ref.TableName, seq)
	}
	if s := tbl.SnapshotByName(ref.At); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%w: %s has no tag %q", ErrNoSnapshot, ref.TableName, ref.At)
}

// TableInfo is a table with its size.
type TableInfo struct {
	Name      TableName
	Rows      int64
	Snapshots int
	Current   *Snapshot
}

// Tables lists every table of the lake, sorted by name.
func (l *Lake) Tables(ctx context.Context) ([]TableInfo, error) {
	names, err := l.tableNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TableInfo, 0, len(names))
	for _, n := range names {
		tbl, err := l.loadTable(ctx, n)
		if err != nil {
			return nil, err
		}
		ti := TableInfo{Name: n, Snapshots: len(tbl.Metadata().Snapshots())}
		if cur := tbl.CurrentSnapshot(); cur != nil {
			s := snapshotOf(n, tbl, cur)
			ti.Current, ti.Rows = &s, s.TotalRows
		}
		out = append(out, ti)
	}
	return out, nil
}

func (l *Lake) tableNames(ctx context.Context) ([]TableName, error) {
	nss, err := l.cat.ListNamespaces(ctx, nil)
	if err != nil {
		return nil, ctxError(ctx, fmt.Errorf("list namespaces: %w", err))
	}
	var out []TableName
	for _, ns := range nss {
		for id, err := range l.cat.ListTables(ctx, ns) {
			if err != nil {
				return nil, ctxError(ctx, fmt.Errorf("list tables in %v: %w", ns, err))
			}
			out = append(out, TableName{Namespace: catalog.NamespaceFromIdent(id)[0], Table: catalog.TableNameFromIdent(id)})
		}
	}
	slices.SortFunc(out, func(a, b TableName) int {
		if a.Namespace != b.Namespace {
			return compare(a.Namespace, b.Namespace)
		}
		return compare(a.Table, b.Table)
	})
	return out, nil
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// scanFiles are the data files a view reads, as local paths (or object
// URLs, until localCopies replaces them) with their sizes, each once, and
// the delete files that apply to each (nil: none; deletes is nil when no
// file has any).
type scanFiles struct {
	paths   []string
	sizes   []int64
	deletes []*fileDeletes
	// copies maps the URL of each position and equality delete file in
	// object storage to its local copy (localCopies); nil on local disk.
	copies map[string]string
}

// files returns the data files and the schema of a table at a snapshot
// (snap nil: no data yet). The current table reads with the current schema, a
// pinned snapshot with the schema it was written with (as Spark and Trino do).
func (l *Lake) files(ctx context.Context, tbl *table.Table, snap *table.Snapshot, pinned bool) (*scanFiles, *iceberg.Schema, error) {
	if snap == nil {
		return &scanFiles{}, tbl.Schema(), nil
	}
	sc := tbl.Schema()
	if pinned && snap.SchemaID != nil {
		if s, ok := tbl.Schemas()[*snap.SchemaID]; ok {
			sc = s
		}
	}
	files, dels, err := planScan(ctx, tbl, snap)
	if err != nil {
		return nil, nil, err
	}
	out := &scanFiles{paths: make([]string, len(files)), sizes: make([]int64, len(files))}
	for i, f := range files {
		out.paths[i] = localPath(f.FilePath())
		out.sizes[i] = f.FileSizeBytes()
		if dels[i] != nil {
			out.deletes = dels
		}
	}
	return out, sc, nil
}

// Tag names a snapshot (an Iceberg tag). Moving an existing tag is refused
// unless force is set.
func (l *Lake) Tag(ctx context.Context, name string, ref Ref, force bool) (*Snapshot, error) {
	if err := ValidTagName(name); err != nil {
		return nil, err
	}
	var out *Snapshot
	err := l.retry(ctx, ref.TableName, func(ctx context.Context, tbl *table.Table) error {
		snap, err := resolve(tbl, ref)
		if err != nil {
			return err
		}
		if snap == nil {
			return fmt.Errorf("%w: %s has no snapshot to tag", ErrNoSnapshot, ref.TableName)
		}
		var cur *int64
		for n, r := range tbl.Metadata().Refs() {
			if n == name {
				if !force {
					return fmt.Errorf("%w: tag %q already names snapshot %d of %s", ErrTagExists, name, r.SnapshotID, ref.TableName)
				}
				id := r.SnapshotID
				cur = &id
			}
		}
		_, _, err = l.cat.CommitTable(ctx, catalog.ToIdentifier(ref.Namespace, ref.Table),
			[]table.Requirement{table.AssertTableUUID(tbl.Metadata().TableUUID()), table.AssertRefSnapshotID(name, cur)},
			[]table.Update{table.NewSetSnapshotRefUpdate(name, snap.SnapshotID, table.TagRef, 0, 0, 0)})
		if err != nil {
			return err
		}
		s := snapshotOf(ref.TableName, tbl, snap)
		s.Tags = append(s.Tags, name)
		out = &s
		return nil
	})
	return out, err
}

// FileStats counts the files behind a table's current snapshot: what small
// appends would pile up without manifest merging and metadata cleanup.
type FileStats struct {
	DataFiles     int
	Manifests     int
	MetadataFiles int
}

// Files counts the data files and manifests of the current snapshot and the
// metadata.json files kept for the table.
func (l *Lake) Files(ctx context.Context, name TableName) (FileStats, error) {
	var st FileStats
	tbl, err := l.loadTable(ctx, name)
	if err != nil {
		return st, err
	}
	if snap := tbl.CurrentSnapshot(); snap != nil {
		fs, err := tbl.FS(ctx)
		if err != nil {
			return st, err
		}
		mans, err := snap.Manifests(fs)
		if err != nil {
			return st, fmt.Errorf("manifests of %s: %w", name, err)
		}
		st.Manifests = len(mans)
		sf, _, err := l.files(ctx, tbl, snap, false)
		if err != nil {
			return st, err
		}
		st.DataFiles = len(sf.paths)
	}
	if isObjectStore(tbl.Location()) {
		n, err := countObjects(ctx, tbl, tbl.Location()+"/metadata", ".metadata.json")
		st.MetadataFiles = n
		return st, err
	}
	metas, err := filepath.Glob(filepath.Join(localPath(tbl.Location()), "metadata", "*.metadata.json"))
	if err != nil {
		return st, err
	}
	st.MetadataFiles = len(metas)
	return st, nil
}
