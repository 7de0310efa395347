// Package pipeline runs every stage, in order, from one pipeline.yaml:
// ingest, prefilter, compress, label, split, train, predict, eval, report.
// A stage whose inputs (the snapshots it reads, the filter's sha256, its
// parameters) are what they were when it last completed is skipped; a
// failure stops the run with the stage, the cause and the command that
// resumes it. Load reads the file; Run runs it.
package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// Config is a pipeline.yaml.
type Config struct {
	// Lake is the lake folder (relative to the file); --lake overrides it.
	Lake    string   `yaml:"lake"`
	Sources []Source `yaml:"sources"`
	// Filter is the filter package folder (relative to the file).
	Filter   string   `yaml:"filter"`
	Oracle   Oracle   `yaml:"oracle"`
	Split    Split    `yaml:"split"`
	Student  Student  `yaml:"student"`
	Evaluate Evaluate `yaml:"evaluate"`
	Report   Report   `yaml:"report"`

	// Dir is the folder of the file: relative paths are resolved against it.
	Dir string `yaml:"-"`
	// Path is the file.
	Path string `yaml:"-"`
}

// Source is one ingest input.
type Source struct {
	Path   string            `yaml:"path"` // a file, folder or glob
	Source string            `yaml:"source"`
	Map    map[string]string `yaml:"map"`
}

// Oracle configures labeling.
type Oracle struct {
	Kind        string  `yaml:"kind"` // keywords (default), gemini, openai
	Model       string  `yaml:"model"`
	BaseURL     string  `yaml:"base_url"`
	Concurrency int     `yaml:"concurrency"`
	RPM         float64 `yaml:"rpm"`
	TPM         float64 `yaml:"tpm"`
	MaxCost     float64 `yaml:"max_cost"`
	TargetCount int     `yaml:"target_count"`
}

// Split configures the split (zero values: the filter's splits section).
type Split struct {
	Seed       int       `yaml:"seed"`
	Ratios     []float64 `yaml:"ratios"`
	StratifyBy string    `yaml:"stratify_by"`
	Combine    string    `yaml:"combine"`
	Balance    bool      `yaml:"balance"`
}

// Student configures training.
type Student struct {
	Backend   string  `yaml:"backend"` // linear (default) or lora
	BaseModel string  `yaml:"base_model"`
	Python    string  `yaml:"python"`
	Epochs    int     `yaml:"epochs"`
	LR        float64 `yaml:"lr"`
	BatchSize int     `yaml:"batch_size"`
	MaxLength int     `yaml:"max_length"`
	Device    string  `yaml:"device"`
}

// Evaluate configures evaluation.
type Evaluate struct {
	Split string `yaml:"split"` // test (default), val, all
}

// Report configures the HTML report.
type Report struct {
	Out  string `yaml:"out"` // default report.html beside the lake
	Skip bool   `yaml:"skip"`
}

// Load reads and validates a pipeline file (unknown keys are errors).
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	c.Dir = filepath.Dir(path)
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

func (c *Config) validate() error {
	var errs []error
	if c.Filter == "" {
		errs = append(errs, errors.New("filter: required (a filter package folder, e.g. filters/uplifting/v1)"))
	}
	for i, s := range c.Sources {
		if s.Path == "" {
			errs = append(errs, fmt.Errorf("sources[%d].path: required", i))
		}
	}
	switch c.Oracle.Kind {
	case "", "keywords", "gemini", "openai":
	default:
		errs = append(errs, fmt.Errorf("oracle.kind: %q: want keywords, gemini or openai", c.Oracle.Kind))
	}
	if c.Oracle.Kind == "openai" && c.Oracle.Model == "" {
		errs = append(errs, errors.New("oracle.model: required for openai"))
	}
	switch c.Student.Backend {
	case "", "linear", "lora":
	default:
		errs = append(errs, fmt.Errorf("student.backend: %q: want linear or lora", c.Student.Backend))
	}
	switch c.Evaluate.Split {
	case "", "test", "val", "train", "all":
	default:
		errs = append(errs, fmt.Errorf("evaluate.split: %q: want test, val, train or all", c.Evaluate.Split))
	}
	return errors.Join(errs...)
}

// Abs resolves a path of the file against its folder.
func (c *Config) Abs(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}
