package lake

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/table/compaction"

	"github.com/distillery/distillery/internal/human"
)

// Maintenance: Rollback, Expire and Compact. Each works on one table and
// commits at most one change; ExpireAll and CompactAll run over every table.

// Rollback makes the snapshot with sequence number seq the table's current
// one: ns.table (and every Session opened afterwards) reads it, newer
// snapshots stay readable as "ns.table@N" until expired, and the next commit
// builds on it. Rolling back to the current snapshot commits nothing and
// returns it with ErrAlreadyCurrent.
func (l *Lake) Rollback(ctx context.Context, name TableName, seq int64) (*Snapshot, error) {
	var out *Snapshot
	already := false
	err := l.retry(ctx, name, func(ctx context.Context, tbl *table.Table) error {
		snap, err := resolve(tbl, Ref{TableName: name, At: strconv.FormatInt(seq, 10)})
		if err != nil {
			return err
		}
		cur := tbl.CurrentSnapshot()
		if cur != nil && cur.SnapshotID == snap.SnapshotID {
			s := snapshotOf(name, tbl, snap)
			out, already = &s, true
			return nil
		}
		meta := tbl.Metadata()
		if cur != nil && table.IsAncestorOf(cur.SnapshotID, snap.SnapshotID, meta.SnapshotByID) {
			tx := tbl.NewTransaction()
			if err := tx.RollbackToSnapshot(snap.SnapshotID); err != nil {
				return err
			}
			if _, err := tx.Commit(ctx); err != nil {
				return err
			}
		} else {
			// iceberg-go rolls back only to ancestors of main: moving main to
			// any other snapshot (one rolled back from, say) is a ref update,
			// asserting main has not moved meanwhile and keeping its settings.
			var curID *int64
			var main table.SnapshotRef
			for n, r := range meta.Refs() {
				if n == table.MainBranch {
					main = r
					id := r.SnapshotID
					curID = &id
				}
			}
			_, _, err := l.cat.CommitTable(ctx, catalog.ToIdentifier(name.Namespace, name.Table),
				[]table.Requirement{table.AssertTableUUID(meta.TableUUID()), table.AssertRefSnapshotID(table.MainBranch, curID)},
				[]table.Update{table.NewSetSnapshotRefUpdate(table.MainBranch, snap.SnapshotID, table.BranchRef,
					deref(main.MaxRefAgeMs), deref(main.MaxSnapshotAgeMs), deref(main.MinSnapshotsToKeep))})
			if err != nil {
				return err
			}
		}
		s := snapshotOf(name, tbl, snap)
		s.Current = true
		out = &s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rollback %s to @%d: %w", name, seq, err)
	}
	if already {
		return out, fmt.Errorf("%s@%d: %w", name, seq, ErrAlreadyCurrent)
	}
	return out, nil
}

func deref[T int | int64](p *T) T {
	if p == nil {
		return 0
	}
	return *p
}

// DefaultGrace is how long Expire leaves a file it could delete: long enough
// for a query that planned its file list, or a write not yet committed, to
// finish.
const DefaultGrace = time.Hour

// ExpireOptions says which snapshots Expire removes.
type ExpireOptions struct {
	// OlderThan: snapshots committed longer ago than this are expired. The
	// current snapshot and tagged ones never are.
	OlderThan time.Duration
	// RetainLast keeps this many of the newest snapshots of the table's
	// history (main), whatever their age (0 means 1).
	RetainLast int
	// Grace protects readers and writers in flight: a snapshot is expired
	// only once it stopped being current at least Grace ago, and a file is
	// deleted only when it is older than Grace. 0 means DefaultGrace; a
	// negative Grace means none (only when nothing else uses the lake).
	Grace time.Duration
	// DryRun reports what would be expired and deleted, changing nothing.
	DryRun bool
}

func (o ExpireOptions) grace() time.Duration {
	switch {
	case o.Grace == 0:
		return DefaultGrace
	case o.Grace < 0:
		return 0
	}
	return o.Grace
}

// ExpireResult is what Expire did (or, with DryRun, would do) to one table.
type ExpireResult struct {
	Table TableName
	// Expired are the sequence numbers of the snapshots removed.
	Expired []int64
	// Held are snapshots old enough to expire but current less than Grace
	// ago: a later run expires them.
	Held []int64
	// Remaining is the number of snapshots left.
	Remaining int
	// FilesDeleted and BytesFreed count the data, manifest and metadata
	// files that no remaining snapshot references.
	FilesDeleted int
	BytesFreed   int64
	DryRun       bool
}

// Expire removes old snapshots of a table from its metadata, then deletes
// the files no remaining snapshot references (including ones orphaned by
// earlier runs or by writes that never committed) once older than the grace
// period. Tagged snapshots and the current one are always kept, so
// "ns.table@tag" reads what it read before.
func (l *Lake) Expire(ctx context.Context, name TableName, opts ExpireOptions) (ExpireResult, error) {
	res := ExpireResult{Table: name, DryRun: opts.DryRun}
	retain := opts.RetainLast
	if retain == 0 {
		retain = 1
	}
	if opts.OlderThan < 0 || retain < 0 {
		return res, fmt.Errorf("expire %s: OlderThan and RetainLast must not be negative", name)
	}
	grace := opts.grace()
	var plan expiryPlan
	var tbl *table.Table
	err := l.retry(ctx, name, func(ctx context.Context, t *table.Table) error {
		p, err := planExpiry(t, opts.OlderThan, retain, grace, time.Now())
		if err != nil {
			return err
		}
		plan, tbl = p, t
		if opts.DryRun || len(p.ids) == 0 {
			return nil
		}
		// Assert every ref: a branch or tag that moved since planning could
		// point at a snapshot planned for removal. postCommit false (as
		// WithPostCommit(false)): the commit itself deletes no file.
		meta := t.Metadata()
		reqs := []table.Requirement{table.AssertTableUUID(meta.TableUUID())}
		for n, r := range meta.Refs() {
			id := r.SnapshotID
			reqs = append(reqs, table.AssertRefSnapshotID(n, &id))
		}
		_, _, err = l.cat.CommitTable(ctx, catalog.ToIdentifier(name.Namespace, name.Table), reqs,
			[]table.Update{table.NewRemoveSnapshotsUpdate(p.ids, false)})
		return err
	})
	if err != nil {
		return res, ctxError(ctx, fmt.Errorf("expire %s: %w", name, err))
	}
	res.Expired, res.Held = plan.seqs, plan.held
	res.Remaining = len(tbl.Metadata().Snapshots()) - len(plan.ids)

	// Files: planned against the table as it is after the expiry (read back
	// from the catalog, or built in memory for a dry run).
	var after *table.Table
	if opts.DryRun {
		after, err = withoutSnapshots(tbl, plan.ids, l.cat)
	} else {
		after, err = l.loadTable(ctx, name)
	}
	if err != nil {
		return res, ctxError(ctx, fmt.Errorf("expire %s: %w", name, err))
	}
	res.FilesDeleted, res.BytesFreed, err = l.deleteOrphans(ctx, after, grace, opts.DryRun)
	if err != nil {
		return res, ctxError(ctx, fmt.Errorf("expire %s: %w", name, err))
	}
	return res, nil
}

// ExpireAll runs Expire on every table of the lake, in name order, stopping
// at the first error.
func (l *Lake) ExpireAll(ctx context.Context, opts ExpireOptions) ([]ExpireResult, error) {
	names, err := l.tableNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ExpireResult, 0, len(names))
	for _, n := range names {
		r, err := l.Expire(ctx, n, opts)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

type expiryPlan struct {
	ids        []int64 // snapshot ids to remove
	seqs, held []int64 // sequence numbers removed, and held back by the grace period
}

// planExpiry asks iceberg-go which snapshots its retention rules expire, then
// drops from that set the current snapshot, every tagged one (iceberg-go
// would expire a tag older than a max-ref-age-ms property, tag and all) and
// any that was current less than grace ago.
func planExpiry(tbl *table.Table, olderThan time.Duration, retain int, grace time.Duration, now time.Time) (expiryPlan, error) {
	var p expiryPlan
	meta := tbl.Metadata()
	if len(meta.Snapshots()) == 0 {
		return p, nil
	}
	tx := tbl.NewTransaction()
	if err := tx.ExpireSnapshots(table.WithOlderThan(olderThan), table.WithRetainLast(retain), table.WithPostCommit(false)); err != nil {
		return p, err
	}
	staged, err := tx.StagedTable()
	if err != nil {
		return p, err
	}
	kept := map[int64]bool{}
	for _, s := range staged.Metadata().Snapshots() {
		kept[s.SnapshotID] = true
	}
	protected := map[int64]bool{}
	for _, r := range meta.Refs() {
		protected[r.SnapshotID] = true // main's head and every tag
	}
	log := slices.Collect(meta.SnapshotLogs())
	seq := numbering(tbl)
	for _, s := range meta.Snapshots() {
		switch {
		case kept[s.SnapshotID] || protected[s.SnapshotID]:
		case supersededAt(s, log, meta.Snapshots(), now).After(now.Add(-grace)):
			p.held = append(p.held, seq(&s))
		default:
			p.ids = append(p.ids, s.SnapshotID)
			p.seqs = append(p.seqs, seq(&s))
		}
	}
	slices.Sort(p.seqs)
	slices.Sort(p.held)
	return p, nil
}

// supersededAt is when snapshot s last stopped being the table's current
// one, from the snapshot log (which records rollbacks too). A snapshot
// missing from the log left it before the log's first entry (expiry trims
// the log) or was never current; without a log, the next commit's time.
func supersededAt(s table.Snapshot, log []table.SnapshotLogEntry, all []table.Snapshot, now time.Time) time.Time {
	last := -1
	for i, e := range log {
		if e.SnapshotID == s.SnapshotID {
			last = i
		}
	}
	switch {
	case last >= 0 && last+1 < len(log):
		return time.UnixMilli(log[last+1].TimestampMs)
	case last >= 0:
		return now // still current
	case len(log) > 0:
		return time.UnixMilli(log[0].TimestampMs)
	}
	next := now
	for _, o := range all {
		if o.TimestampMs > s.TimestampMs && time.UnixMilli(o.TimestampMs).Before(next) {
			next = time.UnixMilli(o.TimestampMs)
		}
	}
	return next
}

// withoutSnapshots is tbl as it would be with the snapshots ids removed,
// built in memory for a dry run.
func withoutSnapshots(tbl *table.Table, ids []int64, cat table.CatalogIO) (*table.Table, error) {
	if len(ids) == 0 {
		return tbl, nil
	}
	b, err := table.MetadataBuilderFromBase(tbl.Metadata(), tbl.MetadataLocation())
	if err != nil {
		return nil, err
	}
	if err := b.RemoveSnapshots(ids, false); err != nil {
		return nil, err
	}
	meta, err := b.Build()
	if err != nil {
		return nil, err
	}
	return table.New(tbl.Identifier(), meta, tbl.MetadataLocation(), tbl.FS, cat), nil
}

// deleteOrphans deletes (or, in a dry run, counts) the files in the table's
// data/ and metadata/ folders that its metadata no longer references and
// that are older than grace. iceberg-go's orphan scan finds them; as a
// second line of defence nothing is deleted if the scan lists a file the
// current or a tagged snapshot reads.
func (l *Lake) deleteOrphans(ctx context.Context, tbl *table.Table, grace time.Duration, dryRun bool) (int, int64, error) {
	// Paths are compared cleaned (an object URL's "s3://" becomes "s3:/"
	// on both sides); files are deleted by the path the scan gave.
	loc := filepath.Clean(localPath(tbl.Location()))
	if rel, err := filepath.Rel(filepath.Clean(localPath(l.Warehouse())), loc); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return 0, 0, fmt.Errorf("%w: %s", ErrOutsideLake, loc)
	}
	plan, err := tbl.PlanOrphanFiles(ctx, table.WithLocation(tbl.Location()), table.WithFilesOlderThan(grace))
	if err != nil {
		return 0, 0, fmt.Errorf("find unreferenced files: %w", err)
	}
	live, err := liveFiles(ctx, tbl)
	if err != nil {
		return 0, 0, err
	}
	type orphan struct {
		path, orig string
		size       int64
	}
	var del []orphan
	for _, f := range plan.OrphanFiles() {
		p := filepath.Clean(localPath(f.Path))
		if live[p] {
			return 0, 0, fmt.Errorf("orphan scan listed %s, which a kept snapshot reads: nothing deleted", p)
		}
		rel, err := filepath.Rel(loc, p)
		if err != nil {
			continue
		}
		if dir, _, _ := strings.Cut(rel, string(filepath.Separator)); dir == "data" || dir == "metadata" {
			del = append(del, orphan{p, f.Path, f.SizeBytes})
		}
	}
	var n int
	var bytes int64
	for _, f := range del {
		if err := ctx.Err(); err != nil {
			return n, bytes, err
		}
		if !dryRun {
			if err := l.removeFile(ctx, f.orig); err != nil {
				return n, bytes, fmt.Errorf("delete %s: %w", f.path, err)
			}
		}
		n++
		bytes += f.size
	}
	return n, bytes, nil
}

// liveFiles is the set of local data file paths the current snapshot and
// every tagged snapshot read.
func liveFiles(ctx context.Context, tbl *table.Table) (map[string]bool, error) {
	live := map[string]bool{}
	ids := map[int64]bool{}
	for _, r := range tbl.Metadata().Refs() {
		ids[r.SnapshotID] = true
	}
	for id := range ids {
		files, deletes, err := planFiles(ctx, tbl, tbl.SnapshotByID(id))
		if err != nil {
			return nil, err
		}
		for _, f := range append(files, deletes...) {
			live[filepath.Clean(localPath(f.FilePath()))] = true
		}
	}
	return live, nil
}

// DefaultTargetFileSize is the size Compact aims for when the table sets no
// write.target-file-size-bytes.
const DefaultTargetFileSize = 128 << 20

// CompactOptions tunes Compact.
type CompactOptions struct {
	// TargetFileSize is the size of the files written (0: the table's
	// write.target-file-size-bytes, else DefaultTargetFileSize). Files of at
	// least 75% of it are left alone.
	TargetFileSize int64
	// MinInputFiles is the fewest small files worth rewriting into one
	// (0 means 2).
	MinInputFiles int
	// DryRun reports the plan, writing and committing nothing.
	DryRun bool
}

// CompactResult is what Compact did (or, with DryRun, would do) to one table.
type CompactResult struct {
	Table TableName
	// FilesBefore and FilesAfter count the current snapshot's data files
	// (FilesAfter is an estimate in a dry run).
	FilesBefore, FilesAfter int
	// DeleteFilesBefore and DeleteFilesAfter count its merge-on-read delete
	// files (position deletes, deletion vectors, equality deletes another
	// engine wrote): compaction applies them to the rows it rewrites and
	// drops those fully applied.
	DeleteFilesBefore, DeleteFilesAfter int
	// Rewritten is the number of data files read and replaced.
	Rewritten int
	// Rows is the number of rows in the data files before compaction;
	// Deleted of them were marked deleted by delete files and are not
	// written again (in a dry run, an upper bound).
	Rows, Deleted int64
	// BytesBefore and BytesAfter are the data files' total size (BytesAfter
	// is an upper bound in a dry run).
	BytesBefore, BytesAfter int64
	// Snapshot is the snapshot the compaction made; nil when there was
	// nothing to do or in a dry run.
	Snapshot *Snapshot
	DryRun   bool
	Elapsed  time.Duration
}

// Compact rewrites the current snapshot's small data files into files of
// about the target size, as one new "replace" snapshot with the same rows
// (distill.stage = compact). A data file that merge-on-read delete files
// apply to is always rewritten, with the deleted rows left out, and the
// delete files it needed are dropped: afterwards the table is copy-on-write
// again. Files written under an older partition spec are rewritten into the
// current one. Older snapshots keep reading their own files until Expire
// removes them. Nothing to rewrite: nothing is committed. Writers committing
// meanwhile are fine; if one replaced the files being compacted or added
// delete files, Compact deletes what it wrote and says so.
func (l *Lake) Compact(ctx context.Context, name TableName, opts CompactOptions) (res CompactResult, err error) {
	start := time.Now()
	res = CompactResult{Table: name, DryRun: opts.DryRun}
	defer func() { res.Elapsed, err = time.Since(start), ctxError(ctx, err) }()
	if err := l.writable(); err != nil && !opts.DryRun {
		return res, err
	}
	tbl, err := l.loadTable(ctx, name)
	if err != nil {
		return res, err
	}
	cur := tbl.CurrentSnapshot()
	if cur == nil {
		return res, nil
	}
	target := opts.TargetFileSize
	if target <= 0 {
		target = tbl.Properties().GetInt64(table.WriteTargetFileSizeBytesKey, DefaultTargetFileSize)
	}
	plan, planned, err := planCompaction(ctx, tbl, cur, target, opts.MinInputFiles, &res)
	if err != nil {
		return res, fmt.Errorf("compact %s: %w", name, err)
	}
	if len(plan) == 0 || opts.DryRun {
		return res, nil
	}

	// Write every group first, then commit once (retrying only the commit),
	// as Pending does: a retry never rewrites the data.
	var results []table.CompactionGroupResult
	var written []iceberg.DataFile
	// Every file the groups write is recorded, half-written ones included.
	wctx, wrec := withRecorder(ctx)
	fail := func(err error) (CompactResult, error) {
		l.discardUnreferenced(ctx, name, wrec.created())
		return res, fmt.Errorf("compact %s: %w", name, storageError(wrec.cause(err)))
	}
	res.Deleted = 0
	for _, g := range plan {
		gr, err := rewriteGroup(wctx, tbl, g, target)
		written = append(written, gr.NewDataFiles...)
		if err != nil {
			return fail(err)
		}
		var in, out int64
		for _, f := range gr.OldDataFiles {
			in += f.Count()
		}
		for _, f := range gr.NewDataFiles {
			out += f.Count()
		}
		// Without deletes every row comes back; with them, no more rows go
		// than the delete files hold.
		if maxDeleted := deletedAtMost(g.Tasks); out > in || out < in-maxDeleted {
			return fail(fmt.Errorf("rewrote %s as %d (delete files mark at most %d deleted): nothing committed",
				human.Plural(in, "row"), out, maxDeleted))
		}
		res.Deleted += in - out
		results = append(results, gr)
	}
	props, err := l.commitProps(Commit{
		Stage:  "compact",
		Inputs: []Snapshot{snapshotOf(name, tbl, cur)},
		Params: map[string]int64{"target_file_size": target, "files_rewritten": int64(res.Rewritten)},
	})
	if err != nil {
		return fail(err)
	}
	made, err := l.commitCompaction(ctx, name, results, written, planned, props)
	if err != nil {
		return fail(err)
	}
	snap := snapshotOf(name, made, made.CurrentSnapshot())
	res.Snapshot = &snap
	after, dels, err := planScan(ctx, made, made.CurrentSnapshot())
	if err != nil {
		return res, fmt.Errorf("compact %s: %w", name, err)
	}
	res.FilesAfter, res.BytesAfter, res.DeleteFilesAfter = len(after), 0, len(uniqueDeletes(dels))
	for _, f := range after {
		res.BytesAfter += f.FileSizeBytes()
	}
	return res, nil
}

// planCompaction plans the rewrite of snapshot cur: iceberg-go's bin-packing
// of small files per partition, plus every file with delete files (each
// forced into a group, alone if need be, so that no delete file it needs
// survives it). It fills res's before-counts and estimates, and returns the
// groups and the set of delete files the plan saw.
func planCompaction(ctx context.Context, tbl *table.Table, cur *table.Snapshot, target int64, minInputs int, res *CompactResult) ([]compaction.Group, map[string]bool, error) {
	files, dels, err := planScan(ctx, tbl, cur)
	if err != nil {
		return nil, nil, err
	}
	planned := map[string]bool{}
	// Whole-file tasks: compaction must read and replace each file once.
	tasks := wholeFileTasks(files)
	for i, d := range dels {
		res.Rows += files[i].Count()
		res.BytesBefore += files[i].FileSizeBytes()
		if d == nil {
			continue
		}
		tasks[i].DeleteFiles, tasks[i].EqualityDeleteFiles, tasks[i].DeletionVectorFiles = d.pos, d.eq, d.dv
		for _, g := range [][]iceberg.DataFile{d.pos, d.eq, d.dv} {
			for _, f := range g {
				planned[deleteKey(f)] = true
			}
		}
	}
	res.FilesBefore, res.FilesAfter, res.BytesAfter = len(files), len(files), res.BytesBefore
	res.DeleteFilesBefore, res.DeleteFilesAfter = len(planned), len(planned)
	if minInputs <= 0 {
		minInputs = 2
	}
	cfg := compaction.DefaultConfig()
	cfg.TargetFileSizeBytes, cfg.MinFileSizeBytes, cfg.MaxFileSizeBytes = target, target*3/4, target*9/5
	cfg.MinInputFiles = uint(minInputs)
	cfg.DeleteFileThreshold = 1
	plan, err := cfg.PlanCompaction(tasks)
	if err != nil {
		return nil, nil, err
	}
	groups := plan.Groups
	inPlan := map[string]bool{}
	for _, g := range groups {
		for _, t := range g.Tasks {
			inPlan[t.File.FilePath()] = true
		}
	}
	// A file with deletes in a partition too small for a group of its own
	// (fewer than MinInputFiles candidates) is rewritten anyway.
	for _, t := range tasks {
		if hasDeletes(t) && !inPlan[t.File.FilePath()] {
			groups = append(groups, compaction.Group{Tasks: []table.FileScanTask{t}, TotalSizeBytes: t.File.FileSizeBytes()})
			plan.EstOutputFiles++
		}
	}
	for _, g := range groups {
		res.Rewritten += len(g.Tasks)
		res.Deleted += deletedAtMost(g.Tasks)
	}
	res.FilesAfter = res.FilesBefore - res.Rewritten + plan.EstOutputFiles
	if res.Rewritten > 0 {
		res.DeleteFilesAfter = 0 // every file with deletes is in the plan
	}
	return groups, planned, nil
}

func hasDeletes(t table.FileScanTask) bool {
	return len(t.DeleteFiles)+len(t.EqualityDeleteFiles)+len(t.DeletionVectorFiles) > 0
}

// deleteKey names one delete file (a deletion vector by its blob too).
func deleteKey(f iceberg.DataFile) string {
	if off := f.ContentOffset(); off != nil {
		return fmt.Sprintf("%s#%d", f.FilePath(), *off)
	}
	return f.FilePath()
}

// uniqueDeletes lists each delete file the data files' deletes name once
// (a deletion vector by its blob).
func uniqueDeletes(dels []*fileDeletes) []iceberg.DataFile {
	var out []iceberg.DataFile
	seen := map[string]bool{}
	for _, d := range dels {
		if d == nil {
			continue
		}
		for _, g := range [][]iceberg.DataFile{d.pos, d.eq, d.dv} {
			for _, f := range g {
				if k := deleteKey(f); !seen[k] {
					seen[k] = true
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// deletedAtMost bounds the rows the tasks' delete files delete: the records
// of each distinct position delete file and deletion vector (a position
// delete file may also name rows of other files, so this is a bound, exact
// for deletion vectors), every row of a file with equality deletes (one key
// may match many rows), and never more than the files with deletes hold.
func deletedAtMost(tasks []table.FileScanTask) int64 {
	seen := map[string]bool{}
	var n, inFiles int64
	for _, t := range tasks {
		if !hasDeletes(t) {
			continue
		}
		inFiles += t.File.Count()
		if len(t.EqualityDeleteFiles) > 0 {
			n += t.File.Count()
		}
		for _, g := range [][]iceberg.DataFile{t.DeleteFiles, t.DeletionVectorFiles} {
			for _, f := range g {
				if k := deleteKey(f); !seen[k] {
					seen[k] = true
					n += f.Count()
				}
			}
		}
	}
	return min(n, inFiles)
}

// rewriteGroup reads one group's files with their deletes applied and writes
// them as new files. A group of the current partition spec goes through
// iceberg-go's ExecuteCompactionGroup (one partition: its clustered writer,
// v3 row lineage kept); a group written under an older spec holds rows of
// many current partitions, so it is written through the partitioning
// writer instead (iceberg-go's clustered writer fails on it).
func rewriteGroup(ctx context.Context, tbl *table.Table, g compaction.Group, target int64) (table.CompactionGroupResult, error) {
	tg := table.CompactionTaskGroup{PartitionKey: g.PartitionKey, Tasks: g.Tasks, TotalSizeBytes: g.TotalSizeBytes}
	if spec := tbl.Spec(); g.Tasks[0].File.SpecID() == int32(spec.ID()) {
		return table.ExecuteCompactionGroup(ctx, tbl, tg, table.WithCompactionTargetFileSize(target))
	}
	gr := table.CompactionGroupResult{PartitionKey: g.PartitionKey, BytesBefore: g.TotalSizeBytes}
	sc, records, err := tbl.Scan().ReadTasks(ctx, g.Tasks)
	if err != nil {
		return gr, fmt.Errorf("read files of partition spec %d: %w", g.Tasks[0].File.SpecID(), err)
	}
	for df, err := range table.WriteRecords(ctx, tbl, sc, records, table.WithTargetFileSize(target)) {
		if err != nil {
			return gr, fmt.Errorf("rewrite files of partition spec %d: %w", g.Tasks[0].File.SpecID(), err)
		}
		gr.NewDataFiles = append(gr.NewDataFiles, df)
		gr.BytesAfter += df.FileSizeBytes()
	}
	for _, t := range g.Tasks {
		gr.OldDataFiles = append(gr.OldDataFiles, t.File)
	}
	gr.SafePosDeletes = table.CollectSafePositionDeletes(g.Tasks)
	gr.SafeDeletionVectors = table.CollectSafeDeletionVectors(g.Tasks)
	return gr, nil
}

// commitCompaction commits the rewritten groups as one snapshot, retrying on
// conflicts. It refuses (ErrCommitConflict) when another writer meanwhile
// replaced a file being compacted or added a delete file the plan did not
// see (dropping the old files would bring its deleted rows back).
func (l *Lake) commitCompaction(ctx context.Context, name TableName, results []table.CompactionGroupResult, written []iceberg.DataFile,
	planned map[string]bool, props iceberg.Properties) (*table.Table, error) {
	var made *table.Table
	stale := false
	err := l.retry(ctx, name, func(ctx context.Context, t *table.Table) error {
		files, dels, err := planScan(ctx, t, t.CurrentSnapshot())
		if err != nil {
			return err
		}
		live := map[string]bool{}
		for _, f := range files {
			live[localPath(f.FilePath())] = true
		}
		if len(written) > 0 && live[localPath(written[0].FilePath())] { // an earlier attempt landed after all
			made = t
			return nil
		}
		for _, gr := range results {
			for _, f := range gr.OldDataFiles {
				if !live[localPath(f.FilePath())] {
					stale = true
					return nil
				}
			}
		}
		for _, d := range dels {
			if d == nil {
				continue
			}
			for _, g := range [][]iceberg.DataFile{d.pos, d.eq, d.dv} {
				for _, f := range g {
					if !planned[deleteKey(f)] {
						stale = true
						return nil
					}
				}
			}
		}
		tx := t.NewTransaction()
		rw := tx.NewRewrite(props)
		for _, gr := range results {
			rw.ApplyResult(gr)
		}
		if err := rw.Commit(ctx); err != nil {
			return err
		}
		made, err = tx.Commit(ctx)
		return err
	})
	if err == nil && stale {
		err = fmt.Errorf("%w: another writer replaced or deleted from files being compacted; nothing committed, run it again", ErrCommitConflict)
	}
	return made, err
}

// CompactAll runs Compact on every table of the lake, in name order,
// stopping at the first error.
func (l *Lake) CompactAll(ctx context.Context, opts CompactOptions) ([]CompactResult, error) {
	names, err := l.tableNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]CompactResult, 0, len(names))
	for _, n := range names {
		r, err := l.Compact(ctx, n, opts)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// currentFiles is the set of local paths of the current snapshot's data
// (and delete) files.
func currentFiles(ctx context.Context, tbl *table.Table) (map[string]bool, error) {
	live := map[string]bool{}
	files, deletes, err := planFiles(ctx, tbl, tbl.CurrentSnapshot())
	if err != nil {
		return nil, err
	}
	for _, f := range append(files, deletes...) {
		live[localPath(f.FilePath())] = true
	}
	return live, nil
}

// discardUnreferenced deletes written files the table's current snapshot
// does not hold: after a failed commit whose outcome the catalog left
// uncertain, a file it did take must stay.
func (l *Lake) discardUnreferenced(ctx context.Context, name TableName, files []string) {
	if len(files) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	tbl, err := l.loadTable(ctx, name)
	if err != nil {
		return // keep them: an orphan is harmless, Expire collects it
	}
	live, err := currentFiles(ctx, tbl)
	if err != nil {
		return
	}
	for _, f := range files {
		if !live[f] {
			_ = l.removeFile(ctx, f)
		}
	}
}
