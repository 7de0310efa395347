package lake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/distillery/distillery/lake/laketest"
)

// Tables another engine made or changed, through laketest: iceberg-go's own
// catalog on the lake's catalog.db, as Spark or pyiceberg would.

var itemsSchema = iceberg.NewSchema(0,
	iceberg.NestedField{ID: 1, Name: "id", Type: iceberg.PrimitiveTypes.String, Required: true},
	iceberg.NestedField{ID: 2, Name: "n", Type: iceberg.PrimitiveTypes.Int64})

// foreignTable creates testTable (id string required, n long) as another
// engine would, with the given properties and options.
func foreignTable(t *testing.T, l *Lake, props iceberg.Properties, opts ...catalog.CreateTableOpt) *laketest.Engine {
	t.Helper()
	e := laketest.Open(t, l.Root)
	e.CreateTable(t, testTable.String(), itemsSchema, props, opts...)
	return e
}

func queryString(t *testing.T, l *Lake, q string) string {
	t.Helper()
	ctx := context.Background()
	s, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out string
	if err := s.QueryRow(ctx, q, &out); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// TestLake_FormatV1SnapshotNumbers: a format-version 1 table has no sequence
// numbers (iceberg-go reads 0 for every snapshot); its snapshots are numbered
// 1..N in commit order, and @N finds them.
func TestLake_FormatV1SnapshotNumbers(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	foreignTable(t, l, iceberg.Properties{"format-version": "1"})
	for i := 0; i < 4; i++ {
		appendRows(t, l, testTable, idsN(fmt.Sprint("s", i), i+1)...)
	}
	snaps, err := l.Snapshots(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, s := range snaps {
		seqs = append(seqs, s.Seq)
	}
	if !slices.Equal(seqs, []int64{1, 2, 3, 4}) {
		t.Fatalf("v1 snapshot numbers = %v, want [1 2 3 4]", seqs)
	}
	for i, s := range snaps {
		if s.TotalRows != int64((i+1)*(i+2)/2) {
			t.Errorf("@%d holds %d rows, want %d (numbered out of commit order)", s.Seq, s.TotalRows, (i+1)*(i+2)/2)
		}
	}
	cur, err := l.Current(ctx, testTable)
	if err != nil || cur.Seq != 4 {
		t.Fatalf("current = %+v, %v; want @4", cur, err)
	}
	s, err := l.Resolve(ctx, Ref{TableName: testTable, At: "2"})
	if err != nil || s.ID != snaps[1].ID || s.Seq != 2 {
		t.Fatalf("resolve @2 = %+v, %v; want snapshot %d", s, err, snaps[1].ID)
	}
	if got := queryIntLake(t, l, `SELECT count(*) FROM "t.items@2"`); got != 3 {
		t.Errorf(`"t.items@2" = %d rows, want 3`, got)
	}
	if _, err := l.Rollback(ctx, testTable, 3); err != nil {
		t.Fatal(err)
	}
	if got := queryIntLake(t, l, `SELECT count(*) FROM t.items`); got != 6 {
		t.Errorf("after rollback to @3: %d rows, want 6", got)
	}
	appendRows(t, l, testTable, "after")
	snaps, err = l.Snapshots(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	if last := snaps[len(snaps)-1]; len(snaps) != 5 || last.Seq != 5 || !last.Current || last.TotalRows != 7 {
		t.Errorf("after rollback and append: %d snapshots, last %+v; want @5 current with 7 rows", len(snaps), last)
	}
}

// TestLake_CompactPartitioned: a table another engine partitioned, many
// small files per partition, compacts to one file per partition.
func TestLake_CompactPartitioned(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	spec := iceberg.NewPartitionSpec(iceberg.PartitionField{SourceIDs: []int{2}, FieldID: 1000, Name: "n", Transform: iceberg.IdentityTransform{}})
	foreignTable(t, l, nil, catalog.WithPartitionSpec(&spec))
	for i := 0; i < 8; i++ {
		appendRows(t, l, testTable, fmt.Sprint("a", i), fmt.Sprint("b", i), fmt.Sprint("c", i)) // n = 0, 1, 2
	}
	const summary = `SELECT count(*) * 1000000 + sum(n) * 1000 + count(DISTINCT id) FROM t.items`
	before := queryIntLake(t, l, summary)
	st, err := l.Files(ctx, testTable)
	if err != nil || st.DataFiles != 24 {
		t.Fatalf("files before = %+v, %v; want 24", st, err)
	}
	res, err := l.Compact(ctx, testTable, CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.FilesBefore != 24 || res.FilesAfter != 3 || res.Rewritten != 24 || res.Snapshot == nil {
		t.Errorf("compact = %+v, want 24 files -> 3 (one per partition)", res)
	}
	if st, err := l.Files(ctx, testTable); err != nil || st.DataFiles != 3 {
		t.Errorf("files after = %+v, %v; want 3", st, err)
	}
	if after := queryIntLake(t, l, summary); after != before {
		t.Errorf("count/sum/distinct after compaction = %d, want %d", after, before)
	}
	if got := queryIntLake(t, l, `SELECT count(*) FROM t.items WHERE n = 1`); got != 8 {
		t.Errorf("partition n=1 after compaction = %d rows, want 8", got)
	}
}

// commitRows writes rows through WriteRows, as a stage does, and commits them.
func commitRows(t *testing.T, l *Lake, fill func(rb *RowBuilder)) error {
	t.Helper()
	ctx := context.Background()
	p, err := l.WriteRows(ctx, testTable, func(rb *RowBuilder) error { fill(rb); return nil })
	if err != nil {
		return err
	}
	_, err = p.Commit(ctx, Commit{Stage: "test"})
	return err
}

// TestLake_WriteFollowsForeignSchemaChanges: after another engine adds a
// column (and writes values to it), renames one and moves others, distill's
// writers (WriteRows, WriteQuery) still put every value in its column, by
// field id, and the other engine's values stay.
func TestLake_WriteFollowsForeignSchemaChanges(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	s := Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}, {Name: "s", Type: String}, {Name: "k", Type: Int}}
	if err := l.EnsureTable(ctx, testTable, s); err != nil {
		t.Fatal(err)
	}
	row := func(id string, n int64, str string, k int32) func(rb *RowBuilder) {
		return func(rb *RowBuilder) {
			rb.String("id", id)
			rb.Long("n", n)
			rb.String("s", str)
			rb.Int("k", k)
			rb.EndRow()
		}
	}
	if err := commitRows(t, l, row("a", 1, "x", 10)); err != nil {
		t.Fatal(err)
	}
	e := laketest.Open(t, l.Root)
	name := testTable.String()
	e.AlterSchema(t, name, func(u *table.UpdateSchema) *table.UpdateSchema {
		return u.AddColumn([]string{"note"}, iceberg.PrimitiveTypes.String, "", false, nil)
	})
	e.Append(t, name, laketest.Row{"id": "b", "n": 2, "s": "y", "k": 20, "note": "from spark"})
	if err := commitRows(t, l, row("c", 3, "z", 30)); err != nil {
		t.Fatalf("write after another engine added a column: %v", err)
	}
	e.AlterSchema(t, name, func(u *table.UpdateSchema) *table.UpdateSchema {
		return u.RenameColumn([]string{"n"}, "count").MoveFirst([]string{"s"}).MoveAfter([]string{"note"}, []string{"s"}).
			UpdateColumn([]string{"k"}, table.ColumnUpdate{FieldType: iceberg.Optional[iceberg.Type]{Val: iceberg.PrimitiveTypes.Int64, Valid: true}})
	})
	if err := l.EnsureTable(ctx, testTable, s); err != nil { // a stage's Ensure: no second "n"
		t.Fatal(err)
	}
	if sc, err := l.ArrowSchema(ctx, testTable); err != nil || sc.NumFields() != 5 {
		t.Fatalf("columns after EnsureTable = %v, %v; want s, note, id, count, k", sc, err)
	}
	if err := commitRows(t, l, row("d", 4, "w", 40)); err != nil {
		t.Fatalf("write after rename, move and int->long: %v", err)
	}
	sess, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := sess.WriteQuery(ctx, testTable, `SELECT 'e' AS id, 5::BIGINT AS n, 'v' AS s, 50::INTEGER AS k`)
	sess.Close()
	if err != nil {
		t.Fatalf("WriteQuery after rename: %v", err)
	}
	if _, err := p.Commit(ctx, Commit{Stage: "test"}); err != nil {
		t.Fatal(err)
	}
	got := queryString(t, l, `SELECT string_agg(concat_ws(':', id, "count", s, k, coalesce(note, '-')), ' ' ORDER BY id) FROM t.items`)
	if want := "a:1:x:10:- b:2:y:20:from spark c:3:z:30:- d:4:w:40:- e:5:v:50:-"; got != want {
		t.Errorf("rows = %q\nwant   %q", got, want)
	}
	if got := queryString(t, l, `SELECT string_agg(column_name, ',') FROM (DESCRIBE SELECT * FROM t.items)`); got != "s,note,id,count,k" {
		t.Errorf("columns read back = %s, want s,note,id,count,k", got)
	}
}

// TestLake_WriteRefusesForeignRequiredColumn: a required column another
// engine added, which distill cannot fill, is a clear error naming the table
// and the column; nothing is committed.
func TestLake_WriteRefusesForeignRequiredColumn(t *testing.T) {
	ctx := context.Background()
	l := newItems(t)
	appendRows(t, l, testTable, "a")
	e := laketest.Open(t, l.Root)
	e.AlterSchema(t, testTable.String(), func(u *table.UpdateSchema) *table.UpdateSchema {
		return u.AddColumn([]string{"owner"}, iceberg.PrimitiveTypes.String, "", true, nil)
	})
	err := commitRows(t, l, func(rb *RowBuilder) { rb.String("id", "b"); rb.EndRow() })
	if !errors.Is(err, ErrSchemaChanged) || !strings.Contains(err.Error(), `"owner"`) || !strings.Contains(err.Error(), "t.items") {
		t.Fatalf("write with a foreign required column: err = %v, want ErrSchemaChanged naming t.items and owner", err)
	}
	if cur, _ := l.Current(ctx, testTable); cur.Seq != 1 {
		t.Errorf("a refused write committed: current @%d", cur.Seq)
	}
}

// TestLake_CompactAfterPartitionEvolution: files written before another
// engine partitioned the table (ALTER TABLE ... ADD PARTITION FIELD) hold
// rows of several new partitions; compaction rewrites them into the current
// spec. Before, it failed in iceberg-go's clustered writer ("incoming records
// violate the clustering assumption").
func TestLake_CompactAfterPartitionEvolution(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	e := foreignTable(t, l, nil)
	for i := 0; i < 4; i++ {
		appendRows(t, l, testTable, fmt.Sprint("a", i), fmt.Sprint("b", i), fmt.Sprint("c", i)) // n = 0, 1, 2
	}
	e.Commit(t, testTable.String(), func(tx *table.Transaction) error {
		return tx.UpdateSpec(true).AddIdentity("n").Commit()
	})
	for i := 4; i < 8; i++ {
		appendRows(t, l, testTable, fmt.Sprint("a", i), fmt.Sprint("b", i), fmt.Sprint("c", i))
	}
	const summary = `SELECT count(*) * 1000000 + sum(n) * 1000 + count(DISTINCT id) FROM t.items`
	before := queryIntLake(t, l, summary)
	res, err := l.Compact(ctx, testTable, CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The old files become one per partition beside the new ones'; a second
	// compaction joins them.
	if res.FilesBefore != 4+12 || res.FilesAfter != 6 || res.Snapshot == nil {
		t.Errorf("compact = %+v, want 16 files -> 6 (the old spec's rewritten into the current one)", res)
	}
	if after := queryIntLake(t, l, summary); after != before {
		t.Errorf("count/sum/distinct after compaction = %d, want %d", after, before)
	}
	res, err = l.Compact(ctx, testTable, CompactOptions{})
	if err != nil || res.FilesAfter != 3 {
		t.Errorf("second compaction = %+v, %v; want 3 files, one per partition", res, err)
	}
	if after := queryIntLake(t, l, summary); after != before {
		t.Errorf("count/sum/distinct after the second compaction = %d, want %d", after, before)
	}
	if got := queryIntLake(t, l, `SELECT count(*) FROM t.items WHERE n = 2`); got != 8 {
		t.Errorf("partition n=2 after compaction = %d rows, want 8", got)
	}
}

// TestLake_CompactAppliesDeleteFiles: merge-on-read deletes another engine
// wrote (format 2: position delete files; format 3: deletion vectors) are
// applied by compaction and their files dropped: no deleted row comes back,
// no row is lost, and a file with deletes is rewritten even alone. Before,
// compaction refused the table (ErrDeleteFiles).
func TestLake_CompactAppliesDeleteFiles(t *testing.T) {
	for _, version := range []string{"2", "3"} {
		t.Run("v"+version, func(t *testing.T) {
			ctx := context.Background()
			l := newLake(t)
			e := foreignTable(t, l, iceberg.Properties{"format-version": version, "write.delete.mode": "merge-on-read"})
			name := testTable.String()
			for i := 0; i < 5; i++ { // the other engine's appends (distill cannot append to v3 tables yet)
				rows := make([]laketest.Row, 10)
				for j, id := range idsN(fmt.Sprint("f", i, "-"), 10) {
					rows[j] = laketest.Row{"id": id, "n": j}
				}
				e.Append(t, name, rows...)
			}
			e.Delete(t, name, iceberg.EqualTo(iceberg.Reference("n"), int64(3)))
			e.Delete(t, name, iceberg.EqualTo(iceberg.Reference("id"), "f2-0007"))
			res, err := l.Compact(ctx, testTable, CompactOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("compact: %+v", res)
			if res.DeleteFilesBefore == 0 || res.DeleteFilesAfter != 0 || res.Deleted != 6 || res.FilesAfter != 1 || res.Snapshot == nil {
				t.Errorf("compact = %+v, want the delete files applied (6 rows) and dropped, 1 file", res)
			}
			st, err := l.Files(ctx, testTable) // errors while delete files remain
			if err != nil || st.DataFiles != 1 {
				t.Errorf("files after = %+v, %v; want 1 data file, no delete file", st, err)
			}
			if got := queryString(t, l, `SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || count(*) FILTER (WHERE n = 3 OR id = 'f2-0007') FROM t.items`); got != "44 44 0" {
				t.Errorf("rows, distinct ids, deleted rows back = %s, want 44 44 0", got)
			}
			// An equality delete (one key, five rows of the one file left).
			e.EqualityDelete(t, name, "n", 5)
			res, err = l.Compact(ctx, testTable, CompactOptions{})
			if err != nil || res.Deleted != 5 || res.Rewritten != 1 || res.FilesAfter != 1 || res.DeleteFilesAfter != 0 {
				t.Fatalf("compact after an equality delete = %+v, %v; want 5 rows deleted", res, err)
			}
			if got := queryIntLake(t, l, `SELECT count(*) FROM t.items WHERE n = 5`); got != 0 {
				t.Errorf("rows an equality delete deleted, back after compaction: %d", got)
			}
			if got := queryIntLake(t, l, `SELECT count(*) FROM t.items`); got != 39 {
				t.Errorf("rows after compacting the equality delete = %d, want 39", got)
			}
			// One file with a delete, nothing else to compact: rewritten alone.
			e.Delete(t, name, iceberg.EqualTo(iceberg.Reference("id"), "f0-0000"))
			res, err = l.Compact(ctx, testTable, CompactOptions{})
			if err != nil || res.Rewritten != 1 || res.DeleteFilesAfter != 0 || res.Deleted != 1 {
				t.Fatalf("compact of one file with a delete = %+v, %v", res, err)
			}
			if got := queryIntLake(t, l, `SELECT count(*) FROM t.items`); got != 38 {
				t.Errorf("rows after the last compaction = %d, want 38", got)
			}
		})
	}
}

// TestLake_ReplaceDropsDeleteFiles: a rebuild (Commit.Replace, what a stage's
// --full commits) of a table with merge-on-read deletes removes the delete
// files with the data files they applied to: the new rows are the whole
// table, none missing. Before, it was refused (ErrDeleteFiles).
func TestLake_ReplaceDropsDeleteFiles(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	e := foreignTable(t, l, iceberg.Properties{"write.delete.mode": "merge-on-read"})
	appendRows(t, l, testTable, "a", "b", "c")
	appendRows(t, l, testTable, "d", "e")
	e.Delete(t, testTable.String(), iceberg.EqualTo(iceberg.Reference("id"), "b"))
	sc, err := l.WriteSchema(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.Write(ctx, testTable, sc, one(recordOf(t, sc, []string{"b", "x"})))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(ctx, Commit{Stage: "test", Replace: true}); err != nil {
		t.Fatalf("rebuild of a table with delete files: %v", err)
	}
	st, err := l.Files(ctx, testTable) // errors while delete files remain
	if err != nil || st.DataFiles != 1 {
		t.Errorf("files after the rebuild = %+v, %v; want 1 data file, no delete file", st, err)
	}
	if got := queryString(t, l, `SELECT string_agg(id, ',' ORDER BY id) FROM t.items`); got != "b,x" {
		t.Errorf("rows after the rebuild = %s, want b,x (b rewritten, not deleted)", got)
	}
}

// TestLake_WriteFormatV3: distill appends to and rebuilds a format-version 3
// table another engine made (iceberg-go adds files it did not write to a v3
// table only with explicit row ids: "missing first_row_id" before); a rebuild
// of one with deletion vectors names distill compact.
func TestLake_WriteFormatV3(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	e := foreignTable(t, l, iceberg.Properties{"format-version": "3", "write.delete.mode": "merge-on-read"})
	appendRows(t, l, testTable, "a", "b", "c")
	appendRows(t, l, testTable, "d")
	if got := queryIntLake(t, l, `SELECT count(*) FROM t.items`); got != 4 {
		t.Fatalf("rows = %d, want 4", got)
	}
	e.DeleteWhere(t, testTable.String(), "id", "b")
	sc, err := l.WriteSchema(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	rebuild := func() error {
		p, err := l.Write(ctx, testTable, sc, one(recordOf(t, sc, []string{"x", "y"})))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Commit(ctx, Commit{Stage: "test", Replace: true})
		return err
	}
	if err := rebuild(); !errors.Is(err, ErrDeleteFiles) || !strings.Contains(err.Error(), "distill compact t.items") {
		t.Fatalf("rebuild of a v3 table with a deletion vector: err = %v, want ErrDeleteFiles naming distill compact", err)
	}
	if _, err := l.Compact(ctx, testTable, CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := rebuild(); err != nil {
		t.Fatalf("rebuild after compaction: %v", err)
	}
	if got := queryString(t, l, `SELECT string_agg(id, ',' ORDER BY id) FROM t.items`); got != "x,y" {
		t.Errorf("rows after the rebuild = %s, want x,y", got)
	}
}
