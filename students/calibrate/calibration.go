package calibrate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

// Method names the map and its file format; Load refuses any other.
const Method = "isotonic:v1"

// File is the calibration's name in a model's folder.
const File = "calibration.json"

// Calibration is one isotonic map per dimension of a model, in the model's
// dimension order.
type Calibration struct {
	Method     string      `json:"method"`
	Points     int         `json:"points"` // the articles it was fitted on
	Dimensions []Dimension `json:"dimensions"`
}

// Dimension is one dimension's map.
type Dimension struct {
	Name string `json:"name"`
	Isotonic
}

// FitAll fits one map per dimension on (prediction, label) rows, each row
// an article with one value per dimension.
func FitAll(dims []string, preds, labels [][]float64) (*Calibration, error) {
	if len(preds) != len(labels) {
		return nil, fmt.Errorf("%d prediction rows but %d label rows", len(preds), len(labels))
	}
	c := &Calibration{Method: Method, Points: len(preds)}
	p, y := make([]float64, len(preds)), make([]float64, len(preds))
	for d, name := range dims {
		for i := range preds {
			if len(preds[i]) != len(dims) || len(labels[i]) != len(dims) {
				return nil, fmt.Errorf("row %d: %d predictions and %d labels, want %d (%v)", i, len(preds[i]), len(labels[i]), len(dims), dims)
			}
			p[i], y[i] = preds[i][d], labels[i][d]
		}
		m, err := Fit(p, y)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		c.Dimensions = append(c.Dimensions, Dimension{Name: name, Isotonic: *m})
	}
	return c, nil
}

// Apply maps one article's raw scores (one per dimension, in order).
func (c *Calibration) Apply(raw []float64) []float64 {
	out := make([]float64, len(raw))
	for i, x := range raw {
		out[i] = x
		if i < len(c.Dimensions) {
			out[i] = c.Dimensions[i].Apply(x)
		}
	}
	return out
}

// Names is the dimensions' names, in order.
func (c *Calibration) Names() []string {
	var n []string
	for _, d := range c.Dimensions {
		n = append(n, d.Name)
	}
	return n
}

// Save writes the calibration as JSON and returns its name: the method and
// the file's sha256, which the model row and every prediction made with it
// record.
func (c *Calibration) Save(path string) (string, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	b = append(b, '\n')
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return "", err
	}
	return name(b), nil
}

// name is the method and the sha256 of the file's bytes (what sha256sum
// prints for it).
func name(b []byte) string {
	sum := sha256.Sum256(b)
	return Method + " sha256:" + hex.EncodeToString(sum[:])
}

// Load reads a calibration Save wrote, checks it is monotone and covers
// dims, and returns it with its name. A missing file is an error that
// errors.Is(err, fs.ErrNotExist).
func Load(path string, dims []string) (*Calibration, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	c, err := Parse(b)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if !slices.Equal(c.Names(), dims) {
		return nil, "", fmt.Errorf("%s: %w: maps %v, the model predicts %v", path, ErrFormat, c.Names(), dims)
	}
	return c, name(b), nil
}

// Parse decodes and checks a calibration's JSON.
func Parse(b []byte) (*Calibration, error) {
	var c Calibration
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if c.Method != Method {
		return nil, fmt.Errorf("%w: method %q, want %q", ErrFormat, c.Method, Method)
	}
	for _, d := range c.Dimensions {
		if err := d.check(); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrFormat, d.Name, err)
		}
	}
	return &c, nil
}
