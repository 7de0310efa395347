package predict

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/calibrate"
	"github.com/distillery/distillery/students/linear"
	"github.com/distillery/distillery/students/lora"
	"github.com/distillery/distillery/students/probe"
)

// Text is one article's model input, made in Go rather than read from a
// table: distill score renders new articles on the fly.
type Text struct{ ID, Text string }

// Stream predicts the texts sent on in with model m until in is closed,
// handing each article's raw scores to emit, in any order and from one
// goroutine at a time. linear scores on opts.Workers cores; embed encodes
// a batch at a time; lora feeds one trainer process for the whole stream.
// opts supplies the lora settings; Validate fills their defaults.
func Stream(ctx context.Context, l *lake.Lake, m *students.Model, opts Options, in <-chan Text, emit func(id string, scores []float64)) error {
	if opts.Model == "" {
		opts.Model = m.ID
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	switch m.Backend {
	case "linear":
		return streamLinear(ctx, l, m, opts.Workers, in, emit)
	case "embed":
		return streamEmbed(ctx, l, m, opts.Python, in, emit)
	case "lora":
		return streamLoRA(ctx, l, m, opts, in, emit)
	}
	drain(in)
	return fmt.Errorf("model %s: unknown backend %q", m.ID, m.Backend)
}

// drain empties in so that its sender never blocks after a failure.
func drain(in <-chan Text) {
	for range in {
	}
}

func streamLinear(ctx context.Context, l *lake.Lake, m *students.Model, workers int, in <-chan Text, emit func(string, []float64)) error {
	model, err := linear.Load(m.Dir(l) + "/model.gob")
	if err != nil {
		drain(in)
		return err
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := model.NewPredictor()
			for t := range in {
				s := p.Predict(t.Text)
				mu.Lock()
				emit(t.ID, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

func streamEmbed(ctx context.Context, l *lake.Lake, m *students.Model, python string, in <-chan Text, emit func(string, []float64)) error {
	model, enc, err := probe.OpenWith(ctx, m.Dir(l), lora.Python(python, m.Python()))
	if err != nil {
		drain(in)
		return err
	}
	defer enc.Close()
	var ids, texts []string
	flush := func() error {
		if len(texts) == 0 {
			return nil
		}
		preds, err := model.PredictTexts(ctx, enc, texts)
		if err != nil {
			return err
		}
		for i, p := range preds {
			emit(ids[i], p)
		}
		ids, texts = ids[:0], texts[:0]
		return nil
	}
	for t := range in {
		ids, texts = append(ids, t.ID), append(texts, t.Text)
		if len(texts) >= embedBatch {
			if err := flush(); err != nil {
				drain(in)
				return err
			}
		}
	}
	return flush()
}

// streamLoRA feeds one trainer predict process (trainer/PROTOCOL.md) with
// record batches of the texts as they come.
func streamLoRA(ctx context.Context, l *lake.Lake, m *students.Model, opts Options, in <-chan Text, emit func(string, []float64)) error {
	fed := false
	err := lora.Run(ctx, lora.Command{
		Name:   "lora predictor",
		Python: lora.Python(opts.Python, m.Python()),
		Args:   predictArgs(l, m, opts),
		Feed: func(w io.Writer) error {
			fed = true
			// The trainer sorts each input batch by length before it pads
			// (trainer/PROTOCOL.md): batches as large as predict's chunks.
			return feedTexts(w, in, max(streamBatch, opts.BatchSize))
		},
		Read: func(r io.Reader) error {
			return readPredictions(r, m.Dimensions, nil, func(s scored) { emit(s.id, s.scores) })
		},
	})
	if !fed {
		drain(in)
	}
	return err
}

// streamBatch is the rows of one batch fed to the lora trainer: as many as
// a DuckDB chunk, which is what distill predict feeds it.
const streamBatch = 2048

// feedTexts writes the texts of in as an Arrow stream of (id, text)
// batches of n rows (the last one shorter).
func feedTexts(w io.Writer, in <-chan Text, n int) error {
	defer drain(in)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}, {Name: "text", Type: arrow.BinaryTypes.String}}, nil)
	wr := ipc.NewWriter(w, ipc.WithSchema(schema))
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	rows := 0
	flush := func() error {
		if rows == 0 {
			return nil
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		rows = 0
		return wr.Write(rec)
	}
	for t := range in {
		b.Field(0).(*array.StringBuilder).Append(t.ID)
		b.Field(1).(*array.StringBuilder).Append(t.Text)
		if rows++; rows >= n {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return wr.Close()
}

// ModelCalibration is the calibration m was trained with (nil: none),
// checked against the hash its models row records: what Run applies.
func ModelCalibration(ctx context.Context, sess *lake.Session, l *lake.Lake, f *filters.Filter, m *students.Model) (*calibrate.Calibration, string, error) {
	return modelCalibration(ctx, sess, l, f, m)
}
