package lake

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// setProps sets table properties on an existing table (iceberg-go allows it:
// a property-only commit, no snapshot).
func setProps(t testing.TB, l *Lake, name TableName, props iceberg.Properties) {
	t.Helper()
	ctx := context.Background()
	tbl, err := l.loadTable(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransaction()
	if err := tx.SetProperties(props); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// splitTable makes testTable with files of many row groups and a tiny
// read.split.target-size, so iceberg-go's PlanFiles returns several scan
// tasks (byte ranges) per data file: what a file over 128 MiB gets.
func splitTable(t *testing.T, l *Lake) {
	t.Helper()
	ctx := context.Background()
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
	setProps(t, l, testTable, iceberg.Properties{
		table.ParquetRowGroupLimitKey: "50",
		table.ReadSplitTargetSizeKey:  "512",
	})
}

func idsN(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	return out
}

// TestLake_DataFilesListedOnce: a data file that PlanFiles splits into
// several byte-range tasks is still read once, by every path that lists
// files (sessions at the current and a pinned snapshot, Files, a Replace
// commit, Compact, Expire's live set).
func TestLake_DataFilesListedOnce(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	splitTable(t, l)
	appendRows(t, l, testTable, idsN("a", 1000)...)
	s2 := appendRows(t, l, testTable, idsN("b", 1000)...)

	tbl, err := l.loadTable(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) <= 2 {
		t.Fatalf("PlanFiles gave %d tasks for 2 files: the test needs split files", len(tasks))
	}
	sf, _, err := l.files(ctx, tbl, tbl.CurrentSnapshot(), false)
	if err != nil {
		t.Fatal(err)
	}
	paths := sf.paths
	if len(paths) != 2 {
		t.Errorf("files = %d paths, want 2", len(paths))
	}

	count := func(q string) int64 {
		t.Helper()
		sess, err := l.Session(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		return queryInt(t, sess, q)
	}
	for q, want := range map[string]int64{
		`SELECT count(*) FROM t.items`:                           2000,
		`SELECT count(DISTINCT id) FROM t.items`:                 2000,
		`SELECT count(*) FROM "t.items@1"`:                       1000,
		fmt.Sprintf(`SELECT count(*) FROM "t.items@%d"`, s2.Seq): 2000,
	} {
		if got := count(q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	// Relation is how stages (diff, export, every stage's reads) name a snapshot.
	func() {
		sess, err := l.Session(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		rel, _, err := sess.Relation(ctx, Ref{TableName: testTable})
		if err != nil {
			t.Fatal(err)
		}
		if got := queryInt(t, sess, "SELECT count(*) FROM "+rel); got != 2000 {
			t.Errorf("Relation %s counts %d, want 2000", rel, got)
		}
	}()
	st, err := l.Files(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	if st.DataFiles != 2 {
		t.Errorf("Files().DataFiles = %d, want 2", st.DataFiles)
	}

	// Compact: the two files become one, every row once.
	res, err := l.Compact(ctx, testTable, CompactOptions{TargetFileSize: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if res.FilesBefore != 2 || res.Rewritten != 2 || res.Rows != 2000 || res.FilesAfter != 1 {
		t.Errorf("compact = %+v, want 2 files rewritten to 1, 2000 rows", res)
	}
	if got := count(`SELECT count(*) FROM t.items`); got != 2000 {
		t.Errorf("after compact: %d rows, want 2000", got)
	}

	// Replace: the old (split) file is replaced once, leaving the new rows only.
	sc, err := l.ArrowSchema(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	rec := recordOf(t, sc, idsN("c", 300))
	p, err := l.Write(ctx, testTable, sc, one(rec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Commit(ctx, Commit{Stage: "test", Replace: true}); err != nil {
		t.Fatal(err)
	}
	if got := count(`SELECT count(*) FROM t.items`); got != 300 {
		t.Errorf("after replace: %d rows, want 300", got)
	}

	// Expire keeps every file a kept snapshot reads, and the rows stay.
	if _, err := l.Expire(ctx, testTable, ExpireOptions{Grace: -1}); err != nil {
		t.Fatal(err)
	}
	if got := count(`SELECT count(*) FROM t.items`); got != 300 {
		t.Errorf("after expire: %d rows, want 300", got)
	}
}

// recordOf is a batch of rows (id, n) for a table of schema sc.
func recordOf(t *testing.T, sc *arrow.Schema, ids []string) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for i, id := range ids {
		for f := range sc.Fields() {
			switch sc.Field(f).Name {
			case "id":
				b.Field(f).(*array.StringBuilder).Append(id)
			case "n":
				b.Field(f).(*array.Int64Builder).Append(int64(i))
			default:
				b.Field(f).AppendNull()
			}
		}
	}
	return b.NewRecordBatch()
}

// TestPlanFiles_OneCaller keeps planFiles the only place that turns
// iceberg-go's scan tasks into files: any other PlanFiles call in the
// module's Go code (tests aside) could list a split file twice again.
func TestPlanFiles_OneCaller(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if rel == filepath.Join("lake", "plan.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), ".PlanFiles(") {
			t.Errorf("%s calls PlanFiles: list files with planFiles/dataFiles (lake/plan.go), which lists a split file once", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
