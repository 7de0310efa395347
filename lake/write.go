package lake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/distillery/distillery/internal/human"
)

// Commit describes the run that makes a snapshot; it is stored in the
// snapshot's properties under distill.* keys (never iceberg's own keys).
type Commit struct {
	// Stage names the stage (ingest, prefilter, …).
	Stage string
	// Inputs are the snapshots the stage read.
	Inputs []Snapshot
	// Filter is "name/vN sha256" of the filter package, when there is one.
	Filter string
	// Params are the stage's parameters, stored as JSON.
	Params any
	// Replace makes the new files the table's whole content (a rebuild)
	// instead of adding them.
	Replace bool
}

// Pending is data files written to a table's warehouse folder but not yet
// committed: Commit makes them a snapshot, Discard deletes them. Writing files
// once and retrying only the commit leaves no orphan files when writers race.
type Pending struct {
	l     *Lake
	name  TableName
	files []iceberg.DataFile
	rows  int64
}

// Rows is the number of rows in the pending files.
func (p *Pending) Rows() int64 { return p.rows }

// Write writes records as Parquet data files of the table (with Iceberg field
// ids) and returns them pending. Records are of the table's WriteSchema (or
// ArrowSchema): their columns are put in the table's current schema by field
// id, so columns another engine added (written null), renamed or moved
// meanwhile are no matter. It consumes records as they come: memory
// stays bounded by the batch size, not the data size. Batches are spread over
// up to writers Parquet writers (compression is the costly part of a write);
// a second writer starts only when a second batch arrives, so a small write
// still makes one file.
func (l *Lake) Write(ctx context.Context, name TableName, schema *arrow.Schema, records iter.Seq2[arrow.RecordBatch, error]) (*Pending, error) {
	p, err := l.write(ctx, name, schema, records)
	return p, ctxError(ctx, err)
}

func (l *Lake) write(ctx context.Context, name TableName, schema *arrow.Schema, records iter.Seq2[arrow.RecordBatch, error]) (*Pending, error) {
	if err := l.writable(); err != nil {
		return nil, err
	}
	// Every file this write creates is recorded, so a failed write removes
	// them all, the half-written ones too (a full disk must not stay full).
	ctx, rec := withRecorder(ctx)
	tbl, err := l.loadTable(ctx, name)
	if err != nil {
		return nil, err
	}
	// Columns go where the table has them now (by field id): another engine
	// may have added, renamed or moved columns since schema was read.
	shape, err := shapeFor(name, tbl, schema)
	if err != nil {
		return nil, err
	}
	writers := max(1, min(runtime.GOMAXPROCS(0), 4))
	type result struct {
		files []iceberg.DataFile
		errs  []error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var chans []chan arrow.RecordBatch
	results := make(chan result, writers)
	start := func() {
		ch := make(chan arrow.RecordBatch, 1)
		chans = append(chans, ch)
		go func() {
			var r result
			in := func(yield func(arrow.RecordBatch, error) bool) {
				for rec := range ch {
					if !yield(rec, nil) {
						rec.Release()
						break
					}
				}
				for rec := range ch { // drain so the sender never blocks
					rec.Release()
				}
			}
			// At most two batches queue per writer: the default (64) lets a
			// fast reader buffer gigabytes ahead of the Parquet encoder.
			// Every error is kept, not only the first: after a failed file
			// write iceberg-go may first report "writer is closed".
			for df, err := range table.WriteRecords(ctx, tbl, shape.target, in, table.WithRecordBatchBufferSize(2)) {
				if err != nil {
					r.errs = append(r.errs, err)
					cancel()
					continue
				}
				r.files = append(r.files, df)
			}
			for rec := range ch {
				rec.Release()
			}
			results <- r
		}()
	}
	p := &Pending{l: l, name: name}
	var readErr error
	i := 0
	for rec, err := range records {
		if err != nil {
			readErr = err
			break
		}
		if rec == nil || rec.NumRows() == 0 {
			continue
		}
		if rec, err = shape.apply(ctx, rec); err != nil {
			readErr = err
			break
		}
		if err := checkUTF8(name, rec, p.rows); err != nil {
			rec.Release()
			readErr = err
			break
		}
		p.rows += rec.NumRows()
		if len(chans) < writers && i >= len(chans) {
			start()
		}
		select {
		case chans[i%len(chans)] <- rec:
		case <-ctx.Done():
			rec.Release()
			readErr = ctx.Err()
		}
		if readErr != nil {
			break
		}
		i++
	}
	for _, ch := range chans {
		close(ch)
	}
	var errs []error
	for range chans {
		r := <-results
		p.files = append(p.files, r.files...)
		errs = append(errs, r.errs...)
	}
	if len(errs) > 0 || readErr != nil {
		p.files = nil
		rec.removeExcept(nil)
		writeErr := storageError(rec.cause(writeError(errs)))
		if readErr != nil && (writeErr == nil || errors.Is(writeErr, context.Canceled)) {
			return nil, readErr
		}
		return nil, fmt.Errorf("write %s: %w", name, writeErr)
	}
	return p, nil
}

// Discard deletes the pending files. It is safe to call after Commit fails.
func (p *Pending) Discard() {
	for _, df := range p.files {
		_ = p.l.removeFile(context.Background(), df.FilePath())
	}
	p.files = nil
}

// Commit adds the pending files to the table as one new snapshot (or, with
// c.Replace, makes them its whole content: an Iceberg overwrite whose old rows
// stay readable by time travel), retrying when another writer committed
// first. An append of no rows commits nothing and returns the table's current
// snapshot (nil when it has none).
func (p *Pending) Commit(ctx context.Context, c Commit) (*Snapshot, error) {
	if !c.Replace && (len(p.files) == 0 || p.rows == 0) {
		p.Discard()
		return p.l.Current(ctx, p.name)
	}
	props, err := p.l.commitProps(c)
	if err != nil {
		return nil, err
	}
	var made *table.Table
	err = p.l.retry(ctx, p.name, func(ctx context.Context, tbl *table.Table) error {
		var old, deletes []iceberg.DataFile
		if c.Replace {
			var err error
			if old, deletes, err = replacedFiles(ctx, tbl); err != nil {
				return err
			}
		}
		if len(old) == 0 && len(p.files) == 0 {
			made = tbl // replacing an empty table with nothing: no snapshot
			return nil
		}
		tx := tbl.NewTransaction()
		// Format version 3 (row lineage): iceberg-go adds files it did not
		// write only with explicit first row ids, except by path (it reads
		// their footers and lets the manifest assign the row ids).
		v3 := tbl.Metadata().Version() >= 3
		switch {
		case len(old) == 0 && v3:
			err = tx.AddFiles(ctx, filePaths(p.files), props, true)
		case len(old) == 0:
			err = tx.AddDataFiles(ctx, p.files, props)
		case len(deletes) > 0 && v3:
			return fmt.Errorf("%w: %s cannot be rebuilt while it has them (format version 3); run `distill compact %s` first, then this command again",
				ErrDeleteFiles, p.name, p.name)
		case len(deletes) > 0:
			// Every data file goes, so every delete file (merge-on-read
			// deletes another engine wrote) goes with it.
			err = tx.ReplaceFiles(ctx, old, p.files, deletes, props)
		case v3:
			err = tx.ReplaceDataFiles(ctx, filePaths(old), filePaths(p.files), props)
		default:
			err = tx.ReplaceDataFilesWithDataFiles(ctx, old, p.files, props)
		}
		if err != nil {
			return err
		}
		CrashPoint("before-commit", p.name) // crash-injection tests only (lake/crashpoint.go)
		t, err := tx.Commit(ctx)
		if err == nil {
			CrashPoint("after-commit", p.name)
		}
		made = t
		return err
	})
	if err != nil {
		// Keep any file the catalog holds after all (a commit that landed
		// but reported an error); delete the rest.
		paths := make([]string, len(p.files))
		for i, f := range p.files {
			paths[i] = localPath(f.FilePath())
		}
		p.files = nil
		p.l.discardUnreferenced(ctx, p.name, paths)
		return nil, fmt.Errorf("commit %s: %w", p.name, err)
	}
	if made.CurrentSnapshot() == nil {
		return nil, nil
	}
	s := snapshotOf(p.name, made, made.CurrentSnapshot())
	return &s, nil
}

func filePaths(files []iceberg.DataFile) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.FilePath()
	}
	return out
}

// replacedFiles lists what a rebuild (Commit.Replace) removes: every data
// file of the current snapshot and every delete file that applies to one.
func replacedFiles(ctx context.Context, tbl *table.Table) (files, deletes []iceberg.DataFile, err error) {
	files, dels, err := planScan(ctx, tbl, tbl.CurrentSnapshot())
	if err != nil {
		return nil, nil, err
	}
	return files, uniqueDeletes(dels), nil
}

func (l *Lake) commitProps(c Commit) (iceberg.Properties, error) {
	props := iceberg.Properties{
		"distill.stage":   c.Stage,
		"distill.run-id":  l.RunID,
		"distill.command": l.Command,
	}
	if len(c.Inputs) > 0 {
		ins := make([]string, len(c.Inputs))
		for i, s := range c.Inputs {
			ins[i] = fmt.Sprintf("%s@%d#%d", s.Table, s.Seq, s.ID)
		}
		props["distill.inputs"] = strings.Join(ins, ",")
	}
	if c.Filter != "" {
		props["distill.filter"] = c.Filter
	}
	if c.Params != nil {
		b, err := json.Marshal(c.Params)
		if err != nil {
			return nil, fmt.Errorf("commit params: %w", err)
		}
		props["distill.params"] = string(b)
	}
	return props, nil
}

// retry runs fn against a freshly loaded table until it succeeds. Two
// processes committing to one SQLite catalog conflict (ErrCommitFailed, a
// changed branch, SQLITE_BUSY): every such error is retried with jittered
// exponential backoff; a cancelled context stops at once.
//
// Only conflicts are retried: a full disk, a read-only catalog or folder and
// the like fail at once (ErrDiskFull, ErrReadOnly). The files an attempt
// wrote (manifests, manifest list, metadata.json) are removed when it fails,
// unless the catalog took it after all.
func (l *Lake) retry(ctx context.Context, name TableName, fn func(context.Context, *table.Table) error) error {
	return ctxError(ctx, l.retryCommit(ctx, name, fn))
}

func (l *Lake) retryCommit(ctx context.Context, name TableName, fn func(context.Context, *table.Table) error) error {
	if err := l.writable(); err != nil {
		return err
	}
	const attempts = 40
	wait := 20 * time.Millisecond
	var last error
	for i := 0; i < attempts; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		actx, rec := withRecorder(ctx)
		tbl, err := l.loadTable(actx, name)
		if err == nil {
			err = fn(actx, tbl)
			if err == nil {
				return nil
			}
			l.dropAttempt(ctx, name, rec)
		}
		err = storageError(err)
		if permanent(err) {
			return err
		}
		last = err
		sleep := wait/2 + time.Duration(rand.Int64N(int64(wait)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(sleep):
		}
		if wait < time.Second {
			wait *= 2
		}
	}
	return fmt.Errorf("%w (%s): %w", ErrCommitConflict, human.Plural(int64(attempts), "attempt"), last)
}

// dropAttempt removes the files a failed commit attempt wrote, unless the
// table's current metadata is one of them (the catalog took the commit
// although it reported an error): then every one may be referenced.
func (l *Lake) dropAttempt(ctx context.Context, name TableName, rec *recorder) {
	created := rec.created()
	if len(created) == 0 {
		return
	}
	tbl, err := l.loadTable(context.WithoutCancel(ctx), name)
	if err != nil {
		return // cannot tell: leave them (orphans are harmless, Expire removes them)
	}
	if slices.Contains(created, localPath(tbl.MetadataLocation())) {
		return
	}
	rec.removeExcept(nil)
}

// permanent reports errors that a retry cannot fix.
func permanent(err error) bool {
	for _, e := range []error{ErrNoTable, ErrNoSnapshot, ErrTagExists, ErrBadRef, ErrDiskFull, ErrReadOnly, ErrDeleteFiles, ErrSchemaChanged,
		table.ErrWriterClosed, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// localPath turns a file:// location into a local path.
func localPath(loc string) string {
	if strings.HasPrefix(loc, "file:") {
		if u, err := url.Parse(loc); err == nil {
			return u.Path
		}
	}
	return loc
}
