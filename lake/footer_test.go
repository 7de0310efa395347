package lake

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/iceberg-go"
)

// writePlainParquet writes rows (id, n) as a Parquet file with no field ids,
// as pyarrow writes one, with the given codec.
func writePlainParquet(t *testing.T, path string, codec compress.Compression, ids []string, ns []int64) {
	t.Helper()
	sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}, {Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(ids, nil)
	b.Field(1).(*array.Int64Builder).AppendValues(ns, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(sc, f, parquet.NewWriterProperties(parquet.WithCompression(codec)), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// addFiles registers Parquet files in the table, as pyiceberg's add_files does.
func addFiles(t *testing.T, l *Lake, name TableName, paths ...string) {
	t.Helper()
	ctx := context.Background()
	tx := loadTable(t, l, name).NewTransaction()
	if err := tx.AddFiles(ctx, paths, nil, false); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSession_FilesWithoutFieldIDsReadByName: a Parquet file added with no
// field ids reads its values by name through the table's name mapping
// (every column read NULL, the required id included).
func TestSession_FilesWithoutFieldIDsReadByName(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	morTable(t, l)
	appendRows(t, l, testTable, idsN("a", 10)...)
	dir := filepath.Join(l.Root, WarehouseDir, "t.db", "items", "data")
	p := filepath.Join(dir, "plain.parquet")
	writePlainParquet(t, p, compress.Codecs.Zstd, []string{"p1", "p2", "p9"}, []int64{1, 2, 9})
	addFiles(t, l, testTable, p)
	checkEverySnapshot(t, l, testTable)
	// A merge-on-read delete in the added file (as Spark's DELETE makes).
	last := deleteWhere(t, l, testTable, iceberg.EqualTo(iceberg.Reference("id"), "p9"))
	if k := deleteFileKinds(t, l, testTable, last.Seq); k["position"] == 0 {
		t.Fatalf("delete files %v: the test needs position deletes", k)
	}
	checkEverySnapshot(t, l, testTable)
	s, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := queryInt(t, s, "SELECT sum(n) FROM t.items WHERE id IN ('p1', 'p2')"); n != 3 {
		t.Fatalf("sum(n) of the added rows = %d, want 3", n)
	}
	if n := queryInt(t, s, "SELECT count(*) FROM t.items WHERE id IS NULL"); n != 0 {
		t.Fatalf("%d rows with a NULL id", n)
	}
}

// hadoopLZ4 is the codec Spark's parquet.compression=lz4 writes (Parquet's
// legacy LZ4: Hadoop-framed blocks), which arrow-go cannot write itself.
type hadoopLZ4 struct{ raw compress.Codec }

func (c hadoopLZ4) Encode(dst, src []byte) []byte {
	block := c.raw.Encode(nil, src)
	out := binary.BigEndian.AppendUint32(dst[:0], uint32(len(src)))
	out = binary.BigEndian.AppendUint32(out, uint32(len(block)))
	return append(out, block...)
}
func (c hadoopLZ4) EncodeLevel(dst, src []byte, _ int) []byte { return c.Encode(dst, src) }
func (c hadoopLZ4) Decode(dst, src []byte) []byte             { return c.raw.Decode(dst, src[8:]) }
func (c hadoopLZ4) CompressBound(n int64) int64               { return c.raw.CompressBound(n) + 8 }

// TestSession_LegacyLZ4IsRefusedByName: a data file in Parquet's legacy LZ4
// codec, which DuckDB cannot read, is refused with the table, the file and
// the rewrite to run.
func TestSession_LegacyLZ4IsRefusedByName(t *testing.T) {
	ctx := context.Background()
	raw, err := compress.GetCodec(compress.Codecs.Lz4Raw)
	if err != nil {
		t.Fatal(err)
	}
	compress.RegisterCodec(compress.Codecs.Lz4, hadoopLZ4{raw})
	l := newLake(t)
	morTable(t, l)
	appendRows(t, l, testTable, idsN("a", 10)...)
	p := filepath.Join(l.Root, WarehouseDir, "t.db", "items", "data", "lz4.parquet")
	writePlainParquet(t, p, compress.Codecs.Lz4, []string{"z1"}, []int64{1})
	if err := RunDuckDB(ctx, "SELECT * FROM read_parquet("+quoteString(p)+")"); err == nil {
		t.Log("DuckDB reads this legacy LZ4 file: the refusal is still right for Spark's")
	} else {
		t.Logf("DuckDB on its own: %v", err)
	}
	addFiles(t, l, testTable, p)
	s, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int64
	err = s.QueryRow(ctx, "SELECT count(*) FROM t.items", &n)
	var lz *LegacyCodecError
	if !errors.As(err, &lz) || !errors.Is(err, ErrLegacyLZ4) || lz.File != p || lz.Table != testTable || !strings.Contains(err.Error(), "rewrite_data_files") {
		t.Fatalf("err = %v, want the legacy LZ4 error naming %s", err, p)
	}

	// SHOW TABLES still lists the lake; reading the table then says why not.
	s2, err := l.Session(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n := queryInt(t, s2, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'items'"); n != 1 {
		t.Fatalf("information_schema lists %d tables named items", n)
	}
	err = s2.QueryRow(ctx, "SELECT count(*) FROM t.items", &n)
	if err == nil || !strings.Contains(err.Error(), "legacy LZ4") || !strings.Contains(err.Error(), p) {
		t.Fatalf("after SHOW TABLES: err = %v, want the legacy LZ4 error naming %s", err, p)
	}
}
