package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/students/calibrate"
	"github.com/distillery/distillery/students/linear"
)

// valPredictionsFile is where the lora trainer leaves the best epoch's
// validation predictions (trainer/PROTOCOL.md): calibration is fitted on
// them without running the model again.
const valPredictionsFile = "val_predictions.arrow"

// Calibration is what train's calibration did: the maps it saved with the
// model and the validation MAE before and after them. Both MAEs are over
// the articles the maps were fitted on (in-sample): eval on the test split
// measures the calibration honestly.
type Calibration struct {
	// Name is the method and the file's sha256, as the models row and
	// every prediction made with it record it; "" when none was fitted.
	Name string `json:"name,omitempty"`
	// File is calibration.json's path relative to the lake root.
	File   string `json:"file,omitempty"`
	Points int    `json:"points"`
	// Raw and Calibrated are the validation MAE per dimension, in the
	// model's dimension order; RawMAE and CalibratedMAE their means.
	Raw           []float64 `json:"val_mae_per_dimension,omitempty"`
	Calibrated    []float64 `json:"calibrated_val_mae_per_dimension,omitempty"`
	RawMAE        float64   `json:"val_mae,omitempty"`
	CalibratedMAE float64   `json:"calibrated_val_mae,omitempty"`
	// Skipped says why no calibration was fitted ("" when one was).
	Skipped string `json:"skipped,omitempty"`
}

// calibrateModel fits the isotonic maps on the trained model's validation
// predictions and saves them in its folder. Too few validation articles,
// or a trainer that left no validation predictions, skip it with the
// reason in Skipped: calibration never fails a training run that worked.
func calibrateModel(ctx context.Context, sess *lake.Session, opts Options, m *Model, dir string) (*Calibration, error) {
	if !opts.calibrate() {
		return &Calibration{Skipped: "--no-calibrate"}, nil
	}
	ids, labels, texts, err := valExamples(ctx, sess, len(m.Dimensions))
	if err != nil {
		return nil, err
	}
	if len(ids) < calibrate.MinPoints {
		return &Calibration{Points: len(ids), Skipped: fmt.Sprintf("%s, isotonic calibration needs at least %d",
			human.Plural(int64(len(ids)), "validation article"), calibrate.MinPoints)}, nil
	}
	var preds [][]float64
	switch m.Backend {
	case "linear":
		preds, err = linearPredictions(dir, texts)
	case "lora":
		preds, err = loraValPredictions(dir, ids, len(m.Dimensions))
	case "embed":
		preds, err = embedPredictions(ctx, dir, texts)
	}
	if errors.Is(err, os.ErrNotExist) {
		return &Calibration{Skipped: "the trainer left no " + valPredictionsFile}, nil
	}
	if err != nil {
		return nil, err
	}
	cal, err := calibrate.FitAll(m.Dimensions, preds, labels)
	if err != nil {
		return nil, err
	}
	name, err := cal.Save(filepath.Join(dir, calibrate.File))
	if err != nil {
		return nil, err
	}
	c := &Calibration{Name: name, File: filepath.Join(m.Artifact, calibrate.File), Points: len(ids)}
	calibrated := make([][]float64, len(preds))
	for i, p := range preds {
		calibrated[i] = cal.Apply(p)
	}
	c.Raw, c.Calibrated = maes(preds, labels), maes(calibrated, labels)
	c.RawMAE, c.CalibratedMAE = mean(c.Raw), mean(c.Calibrated)
	return c, nil
}

// calibrate says whether train fits a calibration: unless told not to.
func (o *Options) calibrate() bool { return o.Calibrate == nil || *o.Calibrate }

// valExamples reads the validation articles, in id order.
func valExamples(ctx context.Context, sess *lake.Session, dims int) (ids []string, labels [][]float64, texts []string, err error) {
	rows, err := sess.Query(ctx, "SELECT id, text, labels FROM examples WHERE split = 'val' ORDER BY id")
	if err != nil {
		return nil, nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, text string
		var raw []any
		if err := rows.Scan(&id, &text, &raw); err != nil {
			return nil, nil, nil, err
		}
		if len(raw) != dims {
			return nil, nil, nil, fmt.Errorf("article %s: %s, want %d", id, human.Plural(int64(len(raw)), "label"), dims)
		}
		y := make([]float64, dims)
		for i, v := range raw {
			x, ok := v.(float64)
			if !ok {
				return nil, nil, nil, fmt.Errorf("article %s: label %d is %v, not a number", id, i, v)
			}
			y[i] = x
		}
		ids, texts, labels = append(ids, id), append(texts, text), append(labels, y)
	}
	return ids, labels, texts, rows.Err()
}

// linearPredictions scores the texts with the saved linear model, as
// predict will.
func linearPredictions(dir string, texts []string) ([][]float64, error) {
	model, err := linear.Load(filepath.Join(dir, "model.gob"))
	if err != nil {
		return nil, err
	}
	p := model.NewPredictor()
	out := make([][]float64, len(texts))
	for i, t := range texts {
		out[i] = p.Predict(t)
	}
	return out, nil
}

// loraValPredictions reads the trainer's validation predictions, in the
// order of ids; an article without one is an error.
func loraValPredictions(dir string, ids []string, dims int) ([][]float64, error) {
	path := filepath.Join(dir, valPredictionsFile)
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	rdr, err := ipc.NewFileReader(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer rdr.Close()
	byID := map[string][]float64{}
	for r := 0; r < rdr.NumRecords(); r++ {
		rec, err := rdr.RecordBatch(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		idIdx, pIdx := rec.Schema().FieldIndices("id"), rec.Schema().FieldIndices("predictions")
		var idCol *array.String
		var preds *array.List
		ok := len(idIdx) > 0 && len(pIdx) > 0
		if ok {
			idCol, ok = rec.Column(idIdx[0]).(*array.String)
		}
		if ok {
			preds, ok = rec.Column(pIdx[0]).(*array.List)
		}
		if !ok {
			return nil, fmt.Errorf("%s has columns %v, want id (string) and predictions (list<double>)", path, rec.Schema())
		}
		vals, ok := preds.ListValues().(*array.Float64)
		if !ok {
			return nil, fmt.Errorf("%s: predictions are %s, want list<double>", path, preds.DataType())
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			lo, hi := preds.ValueOffsets(i)
			if int(hi-lo) != dims {
				return nil, fmt.Errorf("%s: article %s has %s, want %d", path, idCol.Value(i), human.Plural(hi-lo, "prediction"), dims)
			}
			p := make([]float64, dims)
			for j := range p {
				p[j] = vals.Value(int(lo) + j)
			}
			byID[idCol.Value(i)] = p
		}
	}
	out := make([][]float64, len(ids))
	for i, id := range ids {
		if out[i] = byID[id]; out[i] == nil {
			return nil, fmt.Errorf("%s has no prediction for validation article %s", path, id)
		}
	}
	return out, nil
}

// maes is the MAE of each dimension (column) of preds against labels.
func maes(preds, labels [][]float64) []float64 {
	if len(preds) == 0 {
		return nil
	}
	out := make([]float64, len(preds[0]))
	for i := range preds {
		for d := range out {
			out[d] += math.Abs(preds[i][d]-labels[i][d]) / float64(len(preds))
		}
	}
	return out
}

// writeCalibration fills the models row's calibration columns (NULL
// without one).
func writeCalibration(rb *lake.RowBuilder, c *Calibration) {
	if c.Name == "" {
		return
	}
	rb.String("calibration", c.Name)
	rb.Double("calibrated_val_mae", c.CalibratedMAE)
	rb.Doubles("calibrated_val_mae_per_dimension", c.Calibrated)
}

// param is the calibration in the train run's lineage: its name, or why
// there is none.
func (c *Calibration) param() string {
	if c.Name != "" {
		return c.Name
	}
	return "none: " + c.Skipped
}

// lines say what calibration did to the validation MAE, or why there is
// none (train's warnings say it too).
func (c *Calibration) lines() []string {
	switch {
	case c == nil:
		return nil
	case c.Name == "":
		return []string{"no calibration: " + c.Skipped}
	}
	return []string{fmt.Sprintf("calibrated (%s, %s): validation MAE %.3f -> %.3f over %s, in-sample (fitted on them; eval on test measures it)",
		calibrate.Method, calibrate.File, c.RawMAE, c.CalibratedMAE, human.Plural(int64(c.Points), "article"))}
}

// column is dimension i's calibrated validation MAE as a column after the
// raw one ("" without calibration).
func (c *Calibration) column(i int) string {
	if c == nil || i >= len(c.Calibrated) {
		return ""
	}
	return fmt.Sprintf("\t-> %.3f calibrated", c.Calibrated[i])
}
