package lake

import (
	"context"
	"fmt"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// dataFiles lists the data files of a table at a snapshot, each exactly once,
// in planning order (snap nil: none). A snapshot with delete files is
// refused: distill keeps tables copy-on-write, and a plain file list would
// count deleted rows.
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
	if snap == nil {
		return nil, nil, nil
	}
	tasks, err := tbl.Scan(table.WithSnapshotID(snap.SnapshotID)).PlanFiles(ctx)
	if err != nil {
		return nil, nil, ctxError(ctx, fmt.Errorf("plan files of snapshot %d: %w", snap.SnapshotID, err))
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

// wholeFileTasks are scan tasks that read each file whole, for iceberg-go
// calls (compaction) that take tasks rather than files.
func wholeFileTasks(files []iceberg.DataFile) []table.FileScanTask {
	out := make([]table.FileScanTask, len(files))
	for i, f := range files {
		out[i] = table.FileScanTask{File: f, Start: 0, Length: f.FileSizeBytes()}
	}
	return out
}
