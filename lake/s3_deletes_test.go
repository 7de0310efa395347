package lake

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/iceberg-go"
)

// TestS3_Deletes: on an S3 warehouse, position deletes, deletion vectors
// and equality deletes (written by iceberg-go, as another engine would)
// read exactly as iceberg-go's own Arrow scanner reads them from the bucket,
// at every snapshot; compaction applies them, and the table reads back the
// same with no delete file left.
func TestS3_Deletes(t *testing.T) {
	for _, kind := range []string{"position", "dv", "equality"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			l, _, _, _ := newS3Lake(t)
			morTable(t, l)
			if kind == "equality" {
				ids := idsN("a", 300)
				notes := make([]string, len(ids))
				for i := range notes {
					notes[i] = []string{"", "x", "y"}[i%3]
				}
				appendNotes(t, l, ids, notes)
				equalityDelete(t, l, []string{"id"}, []string{"a0001"}, []string{"a0002"})
				appendNotes(t, l, idsN("b", 10), make([]string, 10))
				equalityDelete(t, l, []string{"note"}, []string{""}, []string{"y"})
			} else {
				appendRows(t, l, testTable, idsN("a", 500)...)
				appendRows(t, l, testTable, idsN("b", 500)...)
				if kind == "dv" {
					upgradeFormat(t, l, testTable, 3)
				}
				deleteWhere(t, l, testTable, iceberg.LessThan(iceberg.Reference("n"), int64(7)))
				deleteWhere(t, l, testTable, iceberg.IsIn(iceberg.Reference("id"), "a0100", "a0499", "b0250"))
			}
			cur, err := l.Current(ctx, testTable)
			if err != nil {
				t.Fatal(err)
			}
			if k := deleteFileKinds(t, l, testTable, cur.Seq); len(k) != 1 || k[kind] == 0 {
				t.Fatalf("delete files %v: the test needs %s deletes only", k, kind)
			}
			checkEverySnapshot(t, l, testTable)
			want := icebergIDs(t, l, testTable, cur.Seq)
			if n := len(sessionIDs(t, l, `"t.items@1"`)); n == len(want) {
				t.Fatalf("%d rows before and after the deletes: the test deletes nothing", n)
			}

			res, err := l.Compact(ctx, testTable, CompactOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Snapshot == nil || res.DeleteFilesAfter != 0 || res.Deleted == 0 {
				t.Fatalf("compact = %+v, want the deletes applied and their files dropped", res)
			}
			if k := deleteFileKinds(t, l, testTable, res.Snapshot.Seq); len(k) != 0 {
				t.Fatalf("after compact: delete files %v", k)
			}
			sameIDs(t, "after compact", sessionIDs(t, l, testTable.String()), want)
			sameIDs(t, "after compact, iceberg-go", icebergIDs(t, l, testTable, res.Snapshot.Seq), want)
			if !slices.IsSorted(want) {
				t.Fatal("ids not sorted")
			}
		})
	}
}
