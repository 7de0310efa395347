package predict

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/lora"
)

// predictLoRA streams (id, text) batches to the trainer's predict command
// and reads (id, predictions) batches back (trainer/PROTOCOL.md).
func predictLoRA(ctx context.Context, sess *lake.Session, query string, m *students.Model, l *lake.Lake, opts Options, emit func(scored)) error {
	splits := map[string]string{}
	rows, err := sess.Query(ctx, "SELECT id, split FROM ("+query+")")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var split sql.NullString
		if err := rows.Scan(&id, &split); err != nil {
			rows.Close()
			return err
		}
		splits[id] = split.String
	}
	rows.Close()
	if len(splits) == 0 {
		return nil
	}
	return lora.Run(ctx, lora.Command{
		Name:   "lora predictor",
		Python: opts.Python,
		Args:   predictArgs(l, m, opts),
		Feed: func(w io.Writer) error {
			return sess.WriteArrowStream(ctx, "SELECT id, text FROM ("+query+")", w)
		},
		Read: func(r io.Reader) error { return readPredictions(r, m.Dimensions, splits, emit) },
	})
}

// predictArgs are the trainer's predict command line for model m.
func predictArgs(l *lake.Lake, m *students.Model, opts Options) []string {
	args := []string{"predict", "--model", m.Dir(l), "--batch-size", strconv.Itoa(opts.BatchSize)}
	if opts.Device != "" {
		args = append(args, "--device", opts.Device)
	}
	if opts.Quantize != "" {
		args = append(args, "--quantize", opts.Quantize)
	}
	return args
}

// readPredictions reads the predictor's (id, predictions) batches and emits
// each row with its split.
func readPredictions(r io.Reader, dims []string, splits map[string]string, emit func(scored)) error {
	rdr, err := ipc.NewReader(r)
	if err != nil {
		return fmt.Errorf("read predictions: %w", err)
	}
	defer rdr.Release()
	for rdr.Next() {
		rec := rdr.RecordBatch()
		ids, ok1 := column[*array.String](rec, "id")
		preds, ok2 := column[*array.List](rec, "predictions")
		if !ok1 || !ok2 {
			return fmt.Errorf("predictions stream has columns %v, want id (string) and predictions (list<double>)", rec.Schema())
		}
		vals, ok := preds.ListValues().(*array.Float64)
		if !ok {
			return fmt.Errorf("predictions are %s, want list<double>", preds.DataType())
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			lo, hi := preds.ValueOffsets(i)
			if int(hi-lo) != len(dims) {
				return fmt.Errorf("article %s: %s, want %d", ids.Value(i), human.Plural(int64(hi-lo), "prediction"), len(dims))
			}
			s := make([]float64, hi-lo)
			for j := range s {
				s[j] = vals.Value(int(lo) + j)
			}
			emit(scored{id: ids.Value(i), split: splits[ids.Value(i)], scores: s})
		}
	}
	return rdr.Err()
}

// column returns a record's column by name as type A.
func column[A arrow.Array](rec arrow.RecordBatch, name string) (A, bool) {
	var zero A
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return zero, false
	}
	a, ok := rec.Column(idx[0]).(A)
	return a, ok
}
