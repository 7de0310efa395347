package lake

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestLake_WriteRefusesInvalidUTF8: a string or a list of strings that is
// not UTF-8 fails the write with ErrInvalidUTF8 naming the table, column and
// row; nothing is written and the table stays readable (before, the bad
// value went into a Parquet file that DuckDB then refused to read).
func TestLake_WriteRefusesInvalidUTF8(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true},
		{Name: "title", Type: String}, {Name: "tags", Type: StringList}}); err != nil {
		t.Fatal(err)
	}
	write := func(title string, tags []string) error {
		p, err := l.WriteRows(ctx, testTable, func(rb *RowBuilder) error {
			rb.String("id", "ok1")
			rb.String("title", "café ✓")
			rb.Strings("tags", []string{"naïve"})
			rb.EndRow()
			rb.String("id", "j1")
			rb.String("title", title)
			rb.Strings("tags", tags)
			rb.EndRow()
			return nil
		})
		if err != nil {
			return err
		}
		_, err = p.Commit(ctx, Commit{Stage: "test"})
		return err
	}
	before := lakeFiles(t, l)
	for _, c := range []struct {
		name, title, column string
		tags                []string
	}{
		{"string", "caf\xe9", "title", []string{"x"}},
		{"list of strings", "fine", "tags", []string{"a", "b\xff"}},
	} {
		err := write(c.title, c.tags)
		if !errors.Is(err, ErrInvalidUTF8) {
			t.Fatalf("%s: err = %v, want ErrInvalidUTF8", c.name, err)
		}
		for _, want := range []string{"t.items", "column " + c.column, "row 2", `id "j1"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v does not name %s", c.name, err, want)
			}
		}
		if extra := newFiles(before, lakeFiles(t, l)); len(extra) > 0 {
			t.Errorf("%s: the refused write left %v", c.name, extra)
		}
	}
	if err := write("plain", []string{"é"}); err != nil {
		t.Fatal(err)
	}
	sess, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if n := queryInt(t, sess, "SELECT count(*) FROM t.items WHERE title LIKE 'caf%' OR title = 'plain'"); n != 2 {
		t.Errorf("t.items reads %d rows, want 2", n)
	}
}

// BenchmarkCheckUTF8 measures the backstop on a batch like ingest's: 8,192
// rows of 2 KB of text (mostly ASCII, some multi-byte) and a list of tags.
func BenchmarkCheckUTF8(b *testing.B) {
	ctx := context.Background()
	l, err := Create(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String}, {Name: "content", Type: String}, {Name: "tags", Type: StringList}}); err != nil {
		b.Fatal(err)
	}
	sc, err := l.ArrowSchema(ctx, testTable)
	if err != nil {
		b.Fatal(err)
	}
	rb := NewRowBuilder(sc)
	text := strings.Repeat("Solar farms in Baden-Württemberg — 42 MW, café ", 40)[:2000]
	for i := 0; i < 8192; i++ {
		rb.String("id", "a"+strings.Repeat("x", 10))
		rb.String("content", text)
		rb.Strings("tags", []string{"energy", "ümlaut"})
		rb.EndRow()
	}
	rec := rb.Batch()
	defer rec.Release()
	b.SetBytes(int64(8192 * (len(text) + 11 + 13)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := checkUTF8(testTable, rec, 0); err != nil {
			b.Fatal(err)
		}
	}
}
