package lake

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// dataFiles lists the data files of a table at a snapshot, each exactly once,
// in planning order (snap nil: none), for the writers that rewrite files
// (replace, compact). A snapshot with delete files is refused: those writers
// keep tables copy-on-write, and a plain file list would count deleted rows.
// Reads go through planScan, which keeps the deletes (deletes.go).
func dataFiles(ctx context.Context, tbl *table.Table, snap *table.Snapshot) ([]iceberg.DataFile, error) {
	files, deletes, err := planFiles(ctx, tbl, snap)
	if err != nil {
		return nil, err
	}
	if len(deletes) > 0 {
		return nil, fmt.Errorf("%w: snapshot %d of %s", ErrDeleteFiles, snap.SnapshotID, tbl.Identifier())
	}
	return files, nil
}

// planFiles lists the data files and the delete files a snapshot reads,
// each exactly once, in planning order. It is the only caller of iceberg-go's
// PlanFiles in this package: PlanFiles splits a file larger than
// read.split.target-size (128 MiB by default) into several scan tasks with
// byte ranges, and a caller that turned each task into a whole file read
// that file once per task (a 300,000-row ingest read back as 599,419 rows).
func planFiles(ctx context.Context, tbl *table.Table, snap *table.Snapshot) (files, deletes []iceberg.DataFile, err error) {
	tasks, err := planTasks(ctx, tbl, snap)
	if err != nil {
		return nil, nil, err
	}
	seen := make(map[string]bool, len(tasks))
	add := func(list *[]iceberg.DataFile, f iceberg.DataFile) {
		if p := f.FilePath(); !seen[p] {
			seen[p] = true
			*list = append(*list, f)
		}
	}
	files = make([]iceberg.DataFile, 0, len(tasks))
	for _, t := range tasks {
		add(&files, t.File)
		for _, group := range [][]iceberg.DataFile{t.DeleteFiles, t.EqualityDeleteFiles, t.DeletionVectorFiles} {
			for _, d := range group {
				add(&deletes, d)
			}
		}
	}
	return files, deletes, nil
}

func planTasks(ctx context.Context, tbl *table.Table, snap *table.Snapshot) ([]table.FileScanTask, error) {
	if snap == nil {
		return nil, nil
	}
	tasks, err := tbl.Scan(table.WithSnapshotID(snap.SnapshotID)).PlanFiles(ctx)
	if err != nil {
		return nil, ctxError(ctx, fmt.Errorf("plan files of snapshot %d: %w", snap.SnapshotID, err))
	}
	return tasks, nil
}

// fileDeletes are the delete files that apply to one data file, as
// iceberg-go's planner associates them (by sequence number and partition:
// a delete never applies to a file written after it).
type fileDeletes struct {
	// file is the data file's location as the manifest records it (on an
	// object-storage warehouse its URL, not the path of its local copy):
	// what a position delete file written alongside names it by.
	file        string
	pos, eq, dv []iceberg.DataFile
}

// planScan lists the data files a snapshot reads, each exactly once (see
// planFiles), with the delete files that apply to each (nil: none).
func planScan(ctx context.Context, tbl *table.Table, snap *table.Snapshot) ([]iceberg.DataFile, []*fileDeletes, error) {
	tasks, err := planTasks(ctx, tbl, snap)
	if err != nil {
		return nil, nil, err
	}
	index := make(map[string]int, len(tasks))
	files := make([]iceberg.DataFile, 0, len(tasks))
	var dels []*fileDeletes
	for _, t := range tasks {
		i, ok := index[t.File.FilePath()]
		if !ok {
			i = len(files)
			index[t.File.FilePath()] = i
			files = append(files, t.File)
			dels = append(dels, nil)
		}
		if len(t.DeleteFiles)+len(t.EqualityDeleteFiles)+len(t.DeletionVectorFiles) == 0 {
			continue
		}
		if dels[i] == nil {
			dels[i] = &fileDeletes{file: t.File.FilePath()}
		}
		// The tasks of a split file carry the same deletes: each is kept once.
		dels[i].pos = addNew(dels[i].pos, t.DeleteFiles)
		dels[i].eq = addNew(dels[i].eq, t.EqualityDeleteFiles)
		dels[i].dv = addNew(dels[i].dv, t.DeletionVectorFiles)
	}
	return files, dels, nil
}

// addNew appends the files of add that list lacks (by path and, for
// deletion vectors, blob offset).
func addNew(list, add []iceberg.DataFile) []iceberg.DataFile {
	for _, f := range add {
		if !slices.ContainsFunc(list, func(g iceberg.DataFile) bool { return sameDeleteFile(f, g) }) {
			list = append(list, f)
		}
	}
	return list
}

func sameDeleteFile(a, b iceberg.DataFile) bool {
	if a.FilePath() != b.FilePath() {
		return false
	}
	ao, bo := a.ContentOffset(), b.ContentOffset()
	return (ao == nil) == (bo == nil) && (ao == nil || *ao == *bo)
}

// wholeFileTasks are scan tasks that read each file whole, for iceberg-go
// calls (compaction) that take tasks rather than files.
func wholeFileTasks(files []iceberg.DataFile) []table.FileScanTask {
	out := make([]table.FileScanTask, len(files))
	for i, f := range files {
		out[i] = table.FileScanTask{File: f, Start: 0, Length: f.FileSizeBytes()}
	}
	return out
}
