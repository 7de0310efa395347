package bundle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/students/calibrate"
	"github.com/distillery/distillery/students/linear"
	"github.com/distillery/distillery/students/lora"
	"github.com/distillery/distillery/students/probe"
)

// Scores are one article's predictions as predict writes them: each
// dimension (calibrated when the model is), overall and tier.
type Scores struct {
	Dimensions []float64 `json:"dimensions"`
	Overall    float64   `json:"overall"`
	Tier       string    `json:"tier"`
}

// Predictor scores texts with an exported model, built from the folder's
// files only (a lora model's base model aside, which the folder names).
type Predictor struct {
	Manifest *Manifest
	filter   *filters.Filter
	cal      *calibrate.Calibration
	raw      func(ctx context.Context, texts []string) ([][]float64, error)
	close    func() error
}

// Load builds a Predictor from dir: the manifest, filter/ (its sha256 and
// scoring rules must be the manifest's), calibration.json when the
// manifest names one, and weights/. python runs a lora model's trainer
// ("": $DISTILL_PYTHON, else the Python it was trained with).
func Load(ctx context.Context, dir, python string) (*Predictor, error) {
	return LoadOn(ctx, dir, python, "")
}

// LoadOn is Load with a lora model predicting on device (auto, cpu or
// cuda; "": auto).
func LoadOn(ctx context.Context, dir, python, device string) (*Predictor, error) {
	man, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	p := &Predictor{Manifest: man, close: func() error { return nil }}
	if p.filter, err = loadFilter(dir, man); err != nil {
		return nil, err
	}
	if man.Model.Calibration != "" {
		cal, name, err := calibrate.Load(filepath.Join(dir, calibrate.File), man.Model.Dimensions)
		if err != nil {
			return nil, err
		}
		if name != man.Model.Calibration {
			return nil, fmt.Errorf("%w: %s is %s, the manifest says %s", ErrHash, calibrate.File, name, man.Model.Calibration)
		}
		p.cal = cal
	}
	weights := filepath.Join(dir, WeightsDir)
	switch man.Model.Backend {
	case "linear":
		err = p.loadLinear(weights)
	case "embed":
		m, enc, err2 := probe.OpenWith(ctx, weights, "")
		if err2 != nil {
			return nil, err2
		}
		if !slices.Equal(m.Dimensions, man.Model.Dimensions) {
			enc.Close()
			return nil, fmt.Errorf("%w: weights predict %v, the manifest says %v", ErrManifest, m.Dimensions, man.Model.Dimensions)
		}
		p.raw = func(ctx context.Context, texts []string) ([][]float64, error) { return m.PredictTexts(ctx, enc, texts) }
		p.close = enc.Close
	case "lora":
		p.raw = loraPredict(weights, lora.Python(python, pythonOf(man)), device, len(man.Model.Dimensions))
	default:
		err = fmt.Errorf("%w: %q", ErrBackend, man.Model.Backend)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// loadFilter loads filter/ and checks it is the package, and gives the
// scoring, that the manifest says.
func loadFilter(dir string, man *Manifest) (*filters.Filter, error) {
	f, err := filters.Load(filepath.Join(dir, FilterDir))
	if err != nil {
		return nil, err
	}
	if f.SHA256 != man.Filter.SHA256 {
		return nil, fmt.Errorf("%w: %s has sha256 %s, the manifest says %s", ErrHash, FilterDir, f.SHA256, man.Filter.SHA256)
	}
	if !reflect.DeepEqual(scoringOf(f), man.Scoring) {
		return nil, fmt.Errorf("%w: its scoring differs from %s's filter.yaml", ErrManifest, FilterDir)
	}
	if !slices.Equal(f.DimensionNames(), man.Model.Dimensions) {
		return nil, fmt.Errorf("%w: the model predicts %v, the filter has %v", ErrManifest, man.Model.Dimensions, f.DimensionNames())
	}
	return f, nil
}

func (p *Predictor) loadLinear(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, LinearFile))
	if err != nil {
		return err
	}
	var pt linear.Portable
	if err := json.Unmarshal(b, &pt); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(WeightsDir, LinearFile), err)
	}
	m, err := linear.FromPortable(&pt)
	if err != nil {
		return err
	}
	if !slices.Equal(m.Dimensions, p.Manifest.Model.Dimensions) {
		return fmt.Errorf("%w: weights predict %v, the manifest says %v", ErrManifest, m.Dimensions, p.Manifest.Model.Dimensions)
	}
	p.raw = func(_ context.Context, texts []string) ([][]float64, error) {
		pr := m.NewPredictor()
		out := make([][]float64, len(texts))
		for i, t := range texts {
			out[i] = pr.Predict(t)
		}
		return out, nil
	}
	return nil
}

// pythonOf is the interpreter the model was trained with (params.python).
func pythonOf(man *Manifest) string {
	var p struct {
		Python string `json:"python"`
	}
	json.Unmarshal(man.Model.Params, &p)
	return p.Python
}

// Close ends what Load started (a sentence encoder's trainer).
func (p *Predictor) Close() error { return p.close() }

// Predict scores texts as predict does: the raw predictions, calibrated
// when the model is, then overall and tier by the filter's rules.
func (p *Predictor) Predict(ctx context.Context, texts []string) ([]Scores, error) {
	raw, err := p.raw(ctx, texts)
	if err != nil {
		return nil, err
	}
	if len(raw) != len(texts) {
		return nil, fmt.Errorf("%d predictions for %d texts", len(raw), len(texts))
	}
	out := make([]Scores, len(raw))
	for i, r := range raw {
		s := r
		if p.cal != nil {
			s = p.cal.Apply(r)
		}
		vals := map[string]float64{}
		for d, name := range p.Manifest.Model.Dimensions {
			vals[name] = s[d]
		}
		overall, _ := p.filter.ScoreOf(vals)
		out[i] = Scores{Dimensions: s, Overall: overall, Tier: p.filter.TierOf(overall)}
	}
	return out, nil
}

// loraPredict streams texts to the trainer's predict command on the
// folder's adapter and reads its predictions back (trainer/PROTOCOL.md).
func loraPredict(weights, python, device string, k int) func(context.Context, []string) ([][]float64, error) {
	args := []string{"predict", "--model", weights}
	if device != "" {
		args = append(args, "--device", device)
	}
	return func(ctx context.Context, texts []string) ([][]float64, error) {
		byID := map[string][]float64{}
		err := lora.Run(ctx, lora.Command{
			Name: "lora predictor", Python: python,
			Args: args,
			Feed: func(w io.Writer) error { return writeTexts(w, texts) },
			Read: func(r io.Reader) error { return readPredictions(r, k, byID) },
		})
		if err != nil {
			return nil, err
		}
		out := make([][]float64, len(texts))
		for i := range texts {
			if out[i] = byID[fmt.Sprint(i)]; out[i] == nil {
				return nil, fmt.Errorf("lora predictor: no prediction of text %d", i)
			}
		}
		return out, nil
	}
}

// writeTexts writes texts as one Arrow IPC stream of (id, text), the ids
// their positions.
func writeTexts(w io.Writer, texts []string) error {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}, {Name: "text", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i, t := range texts {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprint(i))
		b.Field(1).(*array.StringBuilder).Append(t)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	wr := ipc.NewWriter(w, ipc.WithSchema(schema))
	if err := wr.Write(rec); err != nil {
		return err
	}
	return wr.Close()
}

// readPredictions reads the predictor's (id, predictions) batches.
func readPredictions(r io.Reader, k int, into map[string][]float64) error {
	rdr, err := ipc.NewReader(r)
	if err != nil {
		return fmt.Errorf("read predictions: %w", err)
	}
	defer rdr.Release()
	for rdr.Next() {
		rec := rdr.RecordBatch()
		ids, ok1 := rec.Column(0).(*array.String)
		preds, ok2 := rec.Column(1).(*array.List)
		if !ok1 || !ok2 || rec.NumCols() != 2 {
			return fmt.Errorf("predictions stream has columns %v, want id (string) and predictions (list<double>)", rec.Schema())
		}
		vals, ok := preds.ListValues().(*array.Float64)
		if !ok {
			return errors.New("predictions are not list<double>")
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			lo, hi := preds.ValueOffsets(i)
			if int(hi-lo) != k {
				return fmt.Errorf("text %s: %d predictions, want %d", ids.Value(i), hi-lo, k)
			}
			s := make([]float64, k)
			for j := range s {
				s[j] = vals.Value(int(lo) + j)
			}
			into[ids.Value(i)] = s
		}
	}
	return rdr.Err()
}
