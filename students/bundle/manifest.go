// Package bundle ships a trained student as a self-contained folder: its
// weights in a portable form, its calibration, the filter package it was
// trained for, a manifest with every file's sha256 and a predict.py that
// scores with it outside distill. Export writes the folder, Verify checks
// its hashes and that Load, reading only the folder, predicts what the
// lake recorded; Describe reports a model's row, tags, evaluations, gates
// and files.
package bundle

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/distillery/distillery/filters"
)

// Format and Version name manifest.json's shape; Load refuses others.
const (
	Format  = "distill-model-export"
	Version = 1
)

// The folder's fixed names.
const (
	ManifestFile = "manifest.json"
	WeightsDir   = "weights"
	FilterDir    = "filter"
	PredictFile  = "predict.py"
	ReadmeFile   = "README.txt"
	LinearFile   = "linear.json"
)

// Manifest is manifest.json: what the model is, how its overall score and
// tier are computed, and every other file of the folder with its sha256.
type Manifest struct {
	Format     string    `json:"format"`
	Version    int       `json:"format_version"`
	Model      ModelInfo `json:"model"`
	Filter     Filter    `json:"filter"`
	Scoring    Scoring   `json:"scoring"`
	Files      []File    `json:"files"`
	ExportedAt string    `json:"exported_at"`
	// UnicodeVersion is the Unicode of the Go that split the linear and
	// embed students' words: predict.py warns on an older Python, whose
	// unicodedata does not know the letters added since.
	UnicodeVersion string `json:"unicode_version,omitempty"`
}

// ModelInfo is the model's row of <filter>.models, as exported.
type ModelInfo struct {
	ID               string          `json:"id"`
	Backend          string          `json:"backend"`
	BaseModel        string          `json:"base_model,omitempty"`
	Dimensions       []string        `json:"dimensions"`
	Params           json.RawMessage `json:"params,omitempty"`
	TrainRows        int64           `json:"train_rows"`
	ValRows          int64           `json:"val_rows"`
	ValMAE           float64         `json:"val_mae"`
	BaselineValMAE   float64         `json:"baseline_val_mae"`
	TrainedAt        string          `json:"trained_at,omitempty"`
	Calibration      string          `json:"calibration,omitempty"`
	CalibratedValMAE *float64        `json:"calibrated_val_mae,omitempty"`
}

// Filter names the filter package in filter/.
type Filter struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	SHA256  string `json:"sha256"`
}

// Scoring is what turns dimension scores into overall and tier, copied
// from filter.yaml (so predict.py needs no YAML reader): overall is the
// weighted sum, capped by each gatekeeper whose dimension is below its
// threshold, rounded to 2 decimals half away from zero; the tier is the
// first whose min the overall reaches, else the last.
type Scoring struct {
	Dimensions  []Weight     `json:"dimensions"`
	Gatekeepers []Gatekeeper `json:"gatekeepers"`
	Tiers       []Tier       `json:"tiers"`
}

// Weight is a dimension's weight in the overall score.
type Weight struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
}

// Gatekeeper caps overall at Cap when Dimension is below Below.
type Gatekeeper struct {
	Dimension string  `json:"dimension"`
	Below     float64 `json:"below"`
	Cap       float64 `json:"cap"`
}

// Tier is a tier and its lowest overall score.
type Tier struct {
	Name string  `json:"name"`
	Min  float64 `json:"min"`
}

// File is one file of the folder (slash-separated path) with its sha256
// and size.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// scoringOf copies f's scoring rules.
func scoringOf(f *filters.Filter) Scoring {
	s := Scoring{Dimensions: []Weight{}, Gatekeepers: []Gatekeeper{}, Tiers: []Tier{}}
	for _, d := range f.Dimensions {
		s.Dimensions = append(s.Dimensions, Weight{Name: d.Name, Weight: d.Weight})
	}
	for _, g := range f.Gatekeepers {
		s.Gatekeepers = append(s.Gatekeepers, Gatekeeper{Dimension: g.Dimension, Below: g.Below, Cap: g.Cap})
	}
	for _, t := range f.Tiers {
		s.Tiers = append(s.Tiers, Tier{Name: t.Name, Min: t.Min})
	}
	return s
}

// ReadManifest reads and checks dir's manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrManifest, path, err)
	}
	if m.Format != Format || m.Version != Version {
		return nil, fmt.Errorf("%w: %s: format %q version %d, this distill reads %q version %d", ErrManifest, path, m.Format, m.Version, Format, Version)
	}
	if m.Model.ID == "" || len(m.Model.Dimensions) == 0 || m.Filter.Name == "" {
		return nil, fmt.Errorf("%w: %s: no model id, dimensions or filter name", ErrManifest, path)
	}
	return &m, nil
}
