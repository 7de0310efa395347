package lake

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// morTable makes testTable (id, n, note) a merge-on-read table: iceberg-go's
// Delete then writes position delete files (v2) or deletion vectors (v3), as
// Spark and pyiceberg do.
func morTable(t testing.TB, l *Lake) {
	t.Helper()
	ctx := context.Background()
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}, {Name: "note", Type: String}}); err != nil {
		t.Fatal(err)
	}
	setProps(t, l, testTable, iceberg.Properties{
		table.WriteDeleteModeKey:      table.WriteModeMergeOnRead,
		table.ParquetRowGroupLimitKey: "64",
	})
}

// upgradeFormat moves a table to a newer format version (v3: deletes are
// then written as deletion vectors).
func upgradeFormat(t *testing.T, l *Lake, name TableName, version int) {
	t.Helper()
	tx := loadTable(t, l, name).NewTransaction()
	if err := tx.UpgradeFormatVersion(version); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func loadTable(t testing.TB, l *Lake, name TableName) *table.Table {
	t.Helper()
	tbl, err := l.loadTable(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// deleteWhere deletes the rows filter matches in one commit (merge-on-read
// on a table morTable made) and returns the new snapshot.
func deleteWhere(t testing.TB, l *Lake, name TableName, filter iceberg.BooleanExpression) *Snapshot {
	t.Helper()
	ctx := context.Background()
	tx := loadTable(t, l, name).NewTransaction()
	if err := tx.Delete(ctx, filter, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := l.Current(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// deleteFileKinds counts the delete files of each content kind a snapshot
// reads, so that a test knows it exercises the kind it means to.
func deleteFileKinds(t *testing.T, l *Lake, name TableName, seq int64) map[string]int {
	t.Helper()
	ctx := context.Background()
	tbl := loadTable(t, l, name)
	snap, err := resolve(tbl, Ref{TableName: name, At: fmt.Sprint(seq)})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := tbl.Scan(table.WithSnapshotID(snap.SnapshotID)).PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	seen := map[string]bool{}
	for _, task := range tasks {
		for kind, files := range map[string][]iceberg.DataFile{"position": task.DeleteFiles, "equality": task.EqualityDeleteFiles, "dv": task.DeletionVectorFiles} {
			for _, f := range files {
				if !seen[f.FilePath()] {
					seen[f.FilePath()] = true
					out[kind]++
				}
			}
		}
	}
	return out
}

// sessionIDs reads the ids of a table reference through a fresh session, sorted.
func sessionIDs(t *testing.T, l *Lake, ref string) []string {
	t.Helper()
	ctx := context.Background()
	s, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []string
	if err := s.Each(ctx, "SELECT id FROM "+ref+" ORDER BY id", func(r *sql.Rows) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		out = append(out, id)
		return nil
	}); err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	return out
}

// icebergIDs reads the ids of a snapshot through iceberg-go's own Arrow
// scanner, which applies every kind of delete file: the second path.
func icebergIDs(t *testing.T, l *Lake, name TableName, seq int64) []string {
	t.Helper()
	ctx := context.Background()
	tbl := loadTable(t, l, name)
	snap, err := resolve(tbl, Ref{TableName: name, At: fmt.Sprint(seq)})
	if err != nil {
		t.Fatal(err)
	}
	at, err := tbl.Scan(table.WithSnapshotID(snap.SnapshotID), table.WithSelectedFields("id")).ToArrowTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	var out []string
	for _, c := range at.Column(0).Data().Chunks() {
		s := c.(*array.String)
		for i := range s.Len() {
			out = append(out, s.Value(i))
		}
	}
	slices.Sort(out)
	return out
}

func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %d ids, want %d (first got %v, first want %v)", what, len(got), len(want), head(got), head(want))
	}
}

func head(s []string) []string { return s[:min(5, len(s))] }

// checkEverySnapshot reads every snapshot of the table both ways.
func checkEverySnapshot(t *testing.T, l *Lake, name TableName) {
	t.Helper()
	snaps, err := l.Snapshots(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snaps {
		ref := fmt.Sprintf(`"%s@%d"`, name, s.Seq)
		sameIDs(t, ref, sessionIDs(t, l, ref), icebergIDs(t, l, name, s.Seq))
	}
	cur := snaps[len(snaps)-1]
	sameIDs(t, name.String(), sessionIDs(t, l, name.String()), icebergIDs(t, l, name, cur.Seq))
}

func TestSession_PositionDeletes(t *testing.T) {
	l := newLake(t)
	morTable(t, l)
	appendRows(t, l, testTable, idsN("a", 500)...)
	appendRows(t, l, testTable, idsN("b", 500)...)
	deleteWhere(t, l, testTable, iceberg.LessThan(iceberg.Reference("n"), int64(7)))
	last := deleteWhere(t, l, testTable, iceberg.IsIn(iceberg.Reference("id"), "a0100", "a0499", "b0250"))
	if k := deleteFileKinds(t, l, testTable, last.Seq); k["position"] == 0 || k["dv"]+k["equality"] > 0 {
		t.Fatalf("delete files %v: the test needs position deletes only", k)
	}
	checkEverySnapshot(t, l, testTable)
	if got := sessionIDs(t, l, testTable.String()); len(got) != 1000-14-3 {
		t.Fatalf("%d rows after the deletes, want %d", len(got), 1000-14-3)
	}
	// distill sql: a locked session (guard.go) applies them too.
	ctx := context.Background()
	s, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.QueryUser(ctx, `SELECT count(*) FROM t.items; SELECT count(*) FROM "t.items@2"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int64
	if !rows.Next() || rows.Scan(&n) != nil || n != 1000 {
		t.Fatalf("distill sql of t.items@2: %d rows, want 1000 (%v)", n, rows.Err())
	}
	rows.Close()
	if n := queryInt(t, s, "SELECT count(*) FROM t.items"); n != 1000-14-3 {
		t.Fatalf("t.items after user SQL: %d rows", n)
	}
}

func TestSession_DeletionVectors(t *testing.T) {
	l := newLake(t)
	morTable(t, l)
	appendRows(t, l, testTable, idsN("a", 500)...)
	appendRows(t, l, testTable, idsN("b", 500)...)
	upgradeFormat(t, l, testTable, 3)
	deleteWhere(t, l, testTable, iceberg.LessThan(iceberg.Reference("n"), int64(7)))
	last := deleteWhere(t, l, testTable, iceberg.IsIn(iceberg.Reference("id"), "a0100", "a0499", "b0250"))
	if k := deleteFileKinds(t, l, testTable, last.Seq); k["dv"] == 0 || k["position"]+k["equality"] > 0 {
		t.Fatalf("delete files %v: the test needs deletion vectors only", k)
	}
	checkEverySnapshot(t, l, testTable)
	if got := sessionIDs(t, l, testTable.String()); len(got) != 1000-14-3 {
		t.Fatalf("%d rows after the deletes, want %d", len(got), 1000-14-3)
	}
}

// appendNotes writes rows (id, n, note) with the given notes ("" is NULL).
func appendNotes(t *testing.T, l *Lake, ids, notes []string) {
	t.Helper()
	ctx := context.Background()
	sc, err := l.ArrowSchema(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for i, id := range ids {
		b.Field(0).(*array.StringBuilder).Append(id)
		b.Field(1).(*array.Int64Builder).Append(int64(i))
		if notes[i] == "" {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.StringBuilder).Append(notes[i])
		}
	}
	p, err := l.Write(ctx, testTable, sc, one(b.NewRecordBatch()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(ctx, Commit{Stage: "test"}); err != nil {
		t.Fatal(err)
	}
}

// equalityDelete commits an equality delete on the named columns (strings;
// "" is NULL) in one snapshot.
func equalityDelete(t testing.TB, l *Lake, cols []string, rows ...[]string) {
	t.Helper()
	ctx := context.Background()
	tbl := loadTable(t, l, testTable)
	var ids []int
	var fields []arrow.Field
	for _, c := range cols {
		f, ok := tbl.Schema().FindFieldByName(c)
		if !ok {
			t.Fatalf("no column %s", c)
		}
		ids = append(ids, f.ID)
		fields = append(fields, arrow.Field{Name: c, Type: arrow.BinaryTypes.String, Nullable: !f.Required,
			Metadata: arrow.NewMetadata([]string{"PARQUET:field_id"}, []string{fmt.Sprint(f.ID)})})
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	for _, r := range rows {
		for i, v := range r {
			if v == "" {
				b.Field(i).AppendNull()
			} else {
				b.Field(i).(*array.StringBuilder).Append(v)
			}
		}
	}
	tx := tbl.NewTransaction()
	if err := tx.CommitEqualityDeletes(ctx, ids, one(b.NewRecordBatch()), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSession_EqualityDeletes: an equality delete removes matching rows of
// the files written before it (not of later ones: sequence numbers), and
// NULL matches NULL.
func TestSession_EqualityDeletes(t *testing.T) {
	l := newLake(t)
	morTable(t, l)
	ids := idsN("a", 300)
	notes := make([]string, len(ids))
	for i := range notes {
		notes[i] = []string{"", "x", "y"}[i%3]
	}
	appendNotes(t, l, ids, notes)
	equalityDelete(t, l, []string{"id"}, []string{"a0001"}, []string{"a0002"}, []string{"b0005"})
	appendNotes(t, l, idsN("b", 10), make([]string, 10)) // b0005 comes after its delete: it stays (until the NULL delete)
	equalityDelete(t, l, []string{"note"}, []string{""}, []string{"y"})
	appendNotes(t, l, []string{"c1", "c2"}, []string{"", "y"})
	cur, err := l.Current(context.Background(), testTable)
	if err != nil {
		t.Fatal(err)
	}
	if k := deleteFileKinds(t, l, testTable, cur.Seq); k["equality"] != 2 {
		t.Fatalf("delete files %v: the test needs two equality delete files", k)
	}
	checkEverySnapshot(t, l, testTable)
	got := sessionIDs(t, l, testTable.String())
	if want := 99 + 2; len(got) != want || !slices.Contains(got, "c1") || slices.Contains(got, "a0001") || slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "b") }) {
		t.Fatalf("got %d ids %v..., want %d: the x notes of a but a0001, and c1, c2", len(got), head(got), want)
	}
}

// TestSession_SnapshotRefIsNotAMentionOfTheTable: a query of "ns.table@N"
// defines that snapshot's view only, not the current one's (whose files,
// deletes and all, it does not read: an unreadable current snapshot made
// every time-travel query fail).
func TestSession_SnapshotRefIsNotAMentionOfTheTable(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	morTable(t, l)
	appendRows(t, l, testTable, idsN("a", 10)...)
	s, err := l.Session(ctx, testTable.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{`SELECT count(*) FROM "t.items@1"`, `SELECT count(*) FROM "items@1"`} {
		if n := queryInt(t, s, q); n != 10 {
			t.Fatalf("%s = %d, want 10", q, n)
		}
		if s.current[testTable] {
			t.Fatalf("%s defined the view of the current snapshot", q)
		}
	}
	if n := queryInt(t, s, `SELECT count(*) FROM t.items WHERE id <> 't.items@1'`); n != 10 || !s.current[testTable] {
		t.Fatalf("the current table read %d rows (defined: %v)", n, s.current[testTable])
	}
}

// TestSession_DeletesKeepColumnsAndSplitFiles: columns named like DuckDB's
// virtual columns (file_row_number, file_index, filename) read their own
// values in a table with deletes, no extra column reaches the view, and a
// data file the planner splits into several tasks is read once.
func TestSession_DeletesKeepColumnsAndSplitFiles(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long},
		{Name: "file_row_number", Type: Long}, {Name: "file_index", Type: String}, {Name: "filename", Type: String}}); err != nil {
		t.Fatal(err)
	}
	setProps(t, l, testTable, iceberg.Properties{
		table.WriteDeleteModeKey:      table.WriteModeMergeOnRead,
		table.ParquetRowGroupLimitKey: "50",
		table.ReadSplitTargetSizeKey:  "512",
	})
	appendRows(t, l, testTable, idsN("a", 1000)...)
	appendRows(t, l, testTable, idsN("b", 1000)...)
	last := deleteWhere(t, l, testTable, iceberg.LessThan(iceberg.Reference("n"), int64(100)))
	if k := deleteFileKinds(t, l, testTable, last.Seq); k["position"] == 0 {
		t.Fatalf("delete files %v: the test needs position deletes", k)
	}
	checkEverySnapshot(t, l, testTable)
	s, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cols, err := s.ColumnNames(ctx, testTable.String())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"id", "n", "file_row_number", "file_index", "filename"}; !slices.Equal(cols, want) {
		t.Fatalf("columns %v, want %v", cols, want)
	}
	if n := queryInt(t, s, "SELECT count(*) FROM t.items WHERE file_row_number IS NULL AND file_index IS NULL AND filename IS NULL AND n >= 100"); n != 1800 {
		t.Fatalf("%d rows with NULL in the columns named like virtual columns, want 1800", n)
	}
}

// TestSession_PositionDeletesInAMovedLake: position delete files name data
// files by the path they had when written; a moved lake (whose manifests
// were rewritten, not its Parquet files) still applies them.
func TestSession_PositionDeletesInAMovedLake(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	morTable(t, l)
	appendRows(t, l, testTable, idsN("a", 100)...)
	deleteWhere(t, l, testTable, iceberg.LessThan(iceberg.Reference("n"), int64(10)))
	dir := l.Root
	l.Close()
	moved := filepath.Join(t.TempDir(), "moved lake")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	m, err := Open(ctx, moved)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := sessionIDs(t, m, testTable.String()); len(got) != 90 || got[0] != "a0010" {
		t.Fatalf("moved lake: %d rows from %v, want 90 from a0010", len(got), head(got))
	}
}
