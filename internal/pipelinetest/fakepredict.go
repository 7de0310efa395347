package pipelinetest

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FakeDimsFile is what a fake trainer's train writes into its --out folder:
// the dimensions, comma-separated, for FakePredict.
const FakeDimsFile = "fake_dims"

// FakePredict is a fake trainer's predict command (trainer/PROTOCOL.md):
// it reads (id, text) batches on stdin and writes 5 for every dimension of
// every row to stdout, one batch out per batch in; with drop it leaves out
// the first row, as a broken predictor would. It returns the batches and
// rows it read. Tests of the lora backend's Go side run it where the
// trainer is not installed.
func FakePredict(model string, drop bool) (batches, rows int, err error) {
	dims, err := os.ReadFile(filepath.Join(model, FakeDimsFile))
	if err != nil {
		return 0, 0, err
	}
	n := len(strings.Split(string(dims), ","))
	rdr, err := ipc.NewReader(os.Stdin)
	if err != nil {
		return 0, 0, err
	}
	defer rdr.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "predictions", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64)}}, nil)
	w := ipc.NewWriter(os.Stdout, ipc.WithSchema(schema))
	defer w.Close()
	for rdr.Next() {
		ids := rdr.RecordBatch().Column(0).(*array.String)
		batches, rows = batches+1, rows+ids.Len()
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		lb := b.Field(1).(*array.ListBuilder)
		for i := 0; i < ids.Len(); i++ {
			if drop {
				drop = false
				continue
			}
			b.Field(0).(*array.StringBuilder).Append(ids.Value(i))
			lb.Append(true)
			for range n {
				lb.ValueBuilder().(*array.Float64Builder).Append(5)
			}
		}
		out := b.NewRecordBatch()
		err := w.Write(out)
		out.Release()
		b.Release()
		if err != nil {
			return batches, rows, err
		}
	}
	return batches, rows, rdr.Err()
}
