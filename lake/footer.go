package lake

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// Parquet footers. Files other engines add to a table are not always what
// distill writes: pyiceberg's add_files registers plain Parquet files with
// no field ids (read by name through the table's name mapping), and Spark's
// parquet.compression=lz4 writes Parquet's legacy LZ4 codec, which DuckDB
// cannot read. Both show only in a file's footer, so a view reads the footer
// of every file it lists, once per process: data files never change.
// Measured (BenchmarkSession_Footers, 200 files, 2 shared cores): ~26 ms
// cold (0.13 ms a file, 8 at a time), ~0.05 ms cached; planning the same
// snapshot takes ~10 ms.

// footer is what a view needs to know of a data file's Parquet footer.
type footer struct {
	names     []string       // top-level column names, in order
	ids       map[int]string // field id → name, for every node that has an id
	fieldIDs  bool           // every top-level column has an Iceberg field id
	legacyLZ4 bool           // some column chunk uses the legacy LZ4 codec
}

var footerCache sync.Map // local path → footer

// ErrLegacyLZ4 means a data file uses Parquet's legacy LZ4 codec (not
// LZ4_RAW), which DuckDB cannot read.
var ErrLegacyLZ4 = errors.New("data file uses Parquet's legacy LZ4 codec, which DuckDB cannot read")

// LegacyCodecError names the table and file with the legacy LZ4 codec and
// how to rewrite it.
type LegacyCodecError struct {
	Table TableName
	File  string
}

func (e *LegacyCodecError) Error() string {
	return fmt.Sprintf("%s: %s: %v; rewrite the table's files with another codec, e.g. in Spark: "+
		"ALTER TABLE distill.%s SET TBLPROPERTIES ('write.parquet.compression-codec'='zstd'); "+
		"CALL distill.system.rewrite_data_files(table => '%s', options => map('rewrite-all','true'))",
		e.Table, e.File, ErrLegacyLZ4, e.Table, e.Table)
}

func (e *LegacyCodecError) Unwrap() error { return ErrLegacyLZ4 }

func readFooter(path string) (footer, error) {
	if f, ok := footerCache.Load(path); ok {
		return f.(footer), nil
	}
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		return footer{}, fmt.Errorf("read the footer of %s: %w", path, err)
	}
	defer r.Close()
	md := r.MetaData()
	root := md.Schema.Root()
	f := footer{fieldIDs: true, names: make([]string, root.NumFields()), ids: map[int]string{}}
	for i := range root.NumFields() {
		n := root.Field(i)
		f.names[i] = n.Name()
		if n.FieldID() < 0 {
			f.fieldIDs = false
		}
		nodeIDs(n, f.ids)
	}
	for i := 0; i < md.NumRowGroups() && !f.legacyLZ4; i++ {
		rg := md.RowGroup(i)
		for j := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(j)
			if err != nil {
				return footer{}, fmt.Errorf("read the footer of %s: %w", path, err)
			}
			if cc.Compression() == compress.Codecs.Lz4 {
				f.legacyLZ4 = true
				break
			}
		}
	}
	footerCache.Store(path, f)
	return f, nil
}

func nodeIDs(n schema.Node, ids map[int]string) {
	if n.FieldID() >= 0 {
		ids[int(n.FieldID())] = n.Name()
	}
	if g, ok := n.(*schema.GroupNode); ok {
		for i := range g.NumFields() {
			nodeIDs(g.Field(i), ids)
		}
	}
}

// footers reads the footers of a table's data files, a few at a time, and
// refuses a file DuckDB cannot read.
func footers(ctx context.Context, name TableName, paths []string) ([]footer, error) {
	out := make([]footer, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, p := range paths {
		if f, ok := footerCache.Load(p); ok {
			out[i] = f.(footer)
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = readFooter(p)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err != nil {
			return nil, err
		}
		if out[i].legacyLZ4 {
			return nil, &LegacyCodecError{Table: name, File: paths[i]}
		}
	}
	return out, nil
}
