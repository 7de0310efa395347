package lake

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/table/dv"
	"github.com/duckdb/duckdb-go/v2"
)

// Merge-on-read deletes. distill writes copy-on-write, but other engines
// sharing the lake write delete files: Spark and pyiceberg position deletes
// (v2) and deletion vectors (v3), Flink equality deletes. A view of a
// snapshot with deletes still has DuckDB read the data files; the rows the
// deletes remove are resolved once, when the view is defined, into a
// temporary table of row keys (file index << 40 | row position in the file),
// and the files with deletes are read with
//
//	WHERE (file_index << 40 | file_row_number) NOT IN (SELECT k FROM keys)
//
// Why this shape (measured with DuckDB 1.5's Python build on 1M rows in one
// file, 10,000 deleted): a plain read sums a column in ~26 ms; NOT IN on the one-column key
// (a mark join that builds on the keys) ~52 ms; an ANTI JOIN or NOT EXISTS on
// (file_index, file_row_number) ~250-330 ms, because DuckDB cannot estimate
// read_parquet's rows when given a schema map and builds its hash table on
// the data side. Files without deletes are read as before (UNION ALL), so a
// table without delete files reads exactly as it did, at no extra cost.
// Through the views (BenchmarkSession_PositionDeletes, 2 shared cores):
// count and sum over 1M rows ~169 ms without deletes, ~282 ms with 1%
// deleted by position; defining the view, deletes read, ~90 ms.
//
// file_index and file_row_number are DuckDB's virtual columns: they never
// reach the view, and a user column of the same name cannot shadow them,
// because the files with deletes are read under aliases (f<field id>) and
// renamed in the view.

// rowKeyShift places the file index above the row position in a row key:
// 2^40 rows per file and 2^24 files per view.
const rowKeyShift = 40

// deletedRows fills a new temporary table with the row key of every row the
// deletes remove from the files at paths (dels[i] applies to paths[i]) and
// returns its name.
func (s *Session) deletedRows(ctx context.Context, tbl *table.Table, sc *iceberg.Schema, paths []string, dels []*fileDeletes, copies map[string]string, byName map[string]bool) (string, error) {
	s.temps++
	name := fmt.Sprintf("distill_deleted_rows_%d", s.temps)
	if _, err := s.conn.ExecContext(ctx, "CREATE TEMP TABLE "+quoteIdent(name)+" (k UBIGINT)"); err != nil {
		return "", fmt.Errorf("deleted rows: %w", err)
	}
	rel := "temp.main." + quoteIdent(name)
	if err := s.positionDeletes(ctx, rel, paths, dels, copies); err != nil {
		return "", err
	}
	if err := s.deletionVectors(ctx, tbl, name, dels); err != nil {
		return "", err
	}
	if err := s.equalityDeletes(ctx, tbl, sc, rel, paths, dels, copies, byName); err != nil {
		return "", err
	}
	return rel, nil
}

// Field ids of a position delete file's columns (Iceberg spec, reserved).
const (
	posDeleteFilePathID = 2147483546
	posDeletePosID      = 2147483545
)

// positionDeletes adds the rows position delete files remove. A position
// delete file names each data file by the path it had when the delete was
// written: in a lake moved since, that path is under the old root (the move
// rewrote the manifests, not the Parquet files), so paths are matched as
// samePath does, and only against the data files the planner applies the
// delete file to. On an object-storage warehouse a data file is read from a
// local copy and matched by its URL (dels[i].file); the delete files are
// read from their copies (copies).
func (s *Session) positionDeletes(ctx context.Context, rel string, paths []string, dels []*fileDeletes, copies map[string]string) error {
	var files []string
	index := map[string]int{}
	targets := map[int][]int{} // delete file index → data file indexes
	for fi, d := range dels {
		for _, f := range d.pos {
			p := deleteFilePath(f, copies)
			pi, ok := index[p]
			if !ok {
				pi = len(files)
				index[p] = pi
				files = append(files, p)
			}
			targets[pi] = append(targets[pi], fi)
		}
	}
	if len(files) == 0 {
		return nil
	}
	src := fmt.Sprintf("read_parquet([%s], schema = map {%d: {name: 'file_path', type: 'VARCHAR', default_value: NULL}, %d: {name: 'pos', type: 'BIGINT', default_value: NULL}})",
		quoteList(files), posDeleteFilePathID, posDeletePosID)
	rows, err := s.conn.QueryContext(ctx, "SELECT DISTINCT file_index, file_path FROM "+src)
	if err != nil {
		return fmt.Errorf("read position delete files: %w", err)
	}
	defer rows.Close()
	var values []string
	for rows.Next() {
		var pi int
		var raw string
		if err := rows.Scan(&pi, &raw); err != nil {
			return fmt.Errorf("read position delete files: %w", err)
		}
		for _, fi := range targets[pi] {
			if raw == dels[fi].file || s.samePath(raw, paths[fi]) {
				values = append(values, fmt.Sprintf("(%d, %s, %d)", pi, quoteString(raw), fi))
				break
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read position delete files: %w", err)
	}
	rows.Close()
	if len(values) == 0 {
		return nil
	}
	q := fmt.Sprintf("INSERT INTO %s SELECT (m.fi::UBIGINT << %d) | d.pos::UBIGINT FROM %s d JOIN (VALUES %s) m(pi, raw, fi) ON d.file_index = m.pi AND d.file_path = m.raw",
		rel, rowKeyShift, src, strings.Join(values, ", "))
	if _, err := s.conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("read position delete files: %w", err)
	}
	return nil
}

// deleteFilePath is the local path DuckDB reads a delete file from: its
// copy in the object cache, or the file itself.
func deleteFilePath(f iceberg.DataFile, copies map[string]string) string {
	if c, ok := copies[f.FilePath()]; ok {
		return c
	}
	return localPath(f.FilePath())
}

// samePath reports whether raw, a data file path recorded by a writer,
// names the data file at the local path p: the same file, or the same place
// under the lake's root (the lake was moved after the delete was written).
func (s *Session) samePath(raw, p string) bool {
	lp := localPath(raw)
	if lp == p {
		return true
	}
	root := strings.TrimSuffix(s.l.Root, "/")
	return strings.HasPrefix(p, root+"/") && strings.HasSuffix(lp, p[len(root):])
}

// deletionVectors adds the rows v3 deletion vectors remove (Puffin blobs,
// decoded by iceberg-go).
func (s *Session) deletionVectors(ctx context.Context, tbl *table.Table, name string, dels []*fileDeletes) error {
	var keys []uint64
	for fi, d := range dels {
		if len(d.dv) == 0 {
			continue
		}
		fs, err := tbl.FS(ctx)
		if err != nil {
			return err
		}
		for _, f := range d.dv {
			bm, err := dv.ReadDV(fs, f)
			if err != nil {
				return fmt.Errorf("deletion vector %s: %w", f.FilePath(), err)
			}
			for p := range bm.Positions() {
				keys = append(keys, uint64(fi)<<rowKeyShift|p)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	return s.conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppender(dc.(driver.Conn), "temp", "main", name)
		if err != nil {
			return fmt.Errorf("deleted rows: %w", err)
		}
		for _, k := range keys {
			if err := a.AppendRow(k); err != nil {
				a.Close()
				return fmt.Errorf("deleted rows: %w", err)
			}
		}
		return a.Close()
	})
}

// equalityDeletes adds the rows equality deletes remove: a row of a data
// file is deleted when an equality delete file the planner applies to that
// file holds a row equal to it on the delete's columns, NULL equal to NULL.
// They are resolved here, once, by joining the delete rows with the key
// columns of the files they apply to.
func (s *Session) equalityDeletes(ctx context.Context, tbl *table.Table, sc *iceberg.Schema, rel string, paths []string, dels []*fileDeletes, copies map[string]string, byName map[string]bool) error {
	type group struct {
		ids   []int
		files []string
		index map[string]int
		pairs [][2]int // data file index, delete file index
	}
	var groups []*group
	byIDs := map[string]*group{}
	for fi, d := range dels {
		if len(d.eq) > 0 && byName[paths[fi]] {
			return fmt.Errorf("%s has no field ids and equality deletes: distill cannot apply them (rewrite the table)", paths[fi])
		}
		for _, f := range d.eq {
			key := fmt.Sprint(f.EqualityFieldIDs())
			g := byIDs[key]
			if g == nil {
				g = &group{ids: f.EqualityFieldIDs(), index: map[string]int{}}
				byIDs[key] = g
				groups = append(groups, g)
			}
			p := deleteFilePath(f, copies)
			ei, ok := g.index[p]
			if !ok {
				ei = len(g.files)
				g.index[p] = ei
				g.files = append(g.files, p)
			}
			g.pairs = append(g.pairs, [2]int{fi, ei})
		}
	}
	for _, g := range groups {
		if len(g.ids) == 0 {
			return fmt.Errorf("equality delete file %s names no equality columns", g.files[0])
		}
		var entries, on []string
		for _, id := range g.ids {
			f, ok := fieldByID(tbl, sc, id)
			if !ok {
				return fmt.Errorf("equality delete file %s: no column has field id %d", g.files[0], id)
			}
			typ, err := duckType(f.Type)
			if err != nil {
				return fmt.Errorf("equality delete on column %s: %w", f.Name, err)
			}
			entries = append(entries, fmt.Sprintf("%d: {name: 'f%d', type: %s, default_value: NULL}", id, id, quoteString(typ)))
			on = append(on, fmt.Sprintf("d.f%d IS NOT DISTINCT FROM e.f%d", id, id))
		}
		var data []string
		local := map[int]int{}
		var values []string
		for _, p := range g.pairs {
			di, ok := local[p[0]]
			if !ok {
				di = len(data)
				local[p[0]] = di
				data = append(data, paths[p[0]])
			}
			values = append(values, fmt.Sprintf("(%d, %d, %d)", di, p[1], p[0]))
		}
		m := strings.Join(entries, ", ")
		q := fmt.Sprintf(`INSERT INTO %s SELECT (a.fi::UBIGINT << %d) | d.file_row_number::UBIGINT
FROM read_parquet([%s], schema = map {%s}) d
JOIN read_parquet([%s], schema = map {%s}) e ON %s
JOIN (VALUES %s) a(di, ei, fi) ON a.di = d.file_index AND a.ei = e.file_index`,
			rel, rowKeyShift, quoteList(data), m, quoteList(g.files), m, strings.Join(on, " AND "), strings.Join(values, ", "))
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("apply equality delete files %s: %w", strings.Join(g.files, ", "), err)
		}
	}
	return nil
}

// fieldByID finds a column by field id in the view's schema or, for a
// column dropped since, in any schema the table had.
func fieldByID(tbl *table.Table, sc *iceberg.Schema, id int) (iceberg.NestedField, bool) {
	if f, ok := sc.FindFieldByID(id); ok {
		return f, true
	}
	schemas := tbl.Metadata().Schemas()
	for _, s := range slices.Backward(schemas) {
		if f, ok := s.FindFieldByID(id); ok {
			return f, true
		}
	}
	return iceberg.NestedField{}, false
}

func quoteList(paths []string) string {
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = quoteString(p)
	}
	return strings.Join(quoted, ", ")
}
