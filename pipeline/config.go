// Package pipeline runs every stage, in order, from one pipeline.yaml:
// the writing stages of spec.Stages (ingest, prefilter, compress, label,
// split, train, predict, eval), then the report. A stage whose inputs (the
// snapshots it reads, the filter's sha256, its settings) are what they were
// when it last completed is skipped; a failure stops the run with the
// stage, the cause and the command that resumes it. Load reads the file;
// Run runs it.
package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/distillery/distillery/stages/split"
	"github.com/distillery/distillery/stages/train"
)

// Config is a pipeline.yaml. Each stage's section decodes straight into
// that stage's Options, so every setting its command's flags have is a key
// here (the yaml tags on the Options name them).
type Config struct {
	// Lake is the lake folder (relative to the file); --lake overrides it.
	Lake    string   `yaml:"lake"`
	Sources []Source `yaml:"sources"`
	// Filter is the filter package folder (relative to the file).
	Filter    string            `yaml:"filter"`
	Prefilter prefilter.Options `yaml:"prefilter"`
	Compress  compress.Options  `yaml:"compress"`
	// Oracle is the label stage: which oracle, and label's Options.
	Oracle Oracle        `yaml:"oracle"`
	Split  split.Options `yaml:"split"`
	// Student is the train stage's Options.
	Student train.Options `yaml:"student"`
	// Predict's split defaults to evaluate's.
	Predict  predict.Options  `yaml:"predict"`
	Evaluate evaluate.Options `yaml:"evaluate"`
	Report   Report           `yaml:"report"`

	// Dir is the folder of the file: relative paths are resolved against it.
	Dir string `yaml:"-"`
	// Path is the file.
	Path string `yaml:"-"`
}

// Source is one ingest input and the ingest Options it is read with.
type Source struct {
	Path           string `yaml:"path"` // a file, folder or glob
	ingest.Options `yaml:",inline"`
}

// Oracle configures labeling: the oracle, and label's Options beside it.
type Oracle struct {
	Kind    string `yaml:"kind"` // keywords (default), gemini, openai
	Model   string `yaml:"model"`
	BaseURL string `yaml:"base_url"`
	// Timeout bounds one call (0: oracle.New's default), as --timeout.
	Timeout       time.Duration `yaml:"timeout"`
	label.Options `yaml:",inline"`
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
	c, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	c.Dir = filepath.Dir(path)
	return c, nil
}

// parse decodes a pipeline file strictly and checks what can be checked
// without the filter.
func parse(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) validate() error {
	var errs []error
	add := func(key string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	if c.Filter == "" {
		errs = append(errs, errors.New("filter: required (a filter package folder, e.g. filters/uplifting/v1)"))
	}
	for i, s := range c.Sources {
		if s.Path == "" {
			errs = append(errs, fmt.Errorf("sources[%d].path: required", i))
			continue
		}
		o := s.Options
		o.Paths = []string{s.Path}
		add(fmt.Sprintf("sources[%d]", i), o.Validate())
	}
	switch c.Oracle.Kind {
	case "", "keywords", "gemini", "openai":
	default:
		errs = append(errs, fmt.Errorf("oracle.kind: %q: want keywords, gemini or openai", c.Oracle.Kind))
	}
	if c.Oracle.Kind == "openai" && c.Oracle.Model == "" {
		errs = append(errs, errors.New("oracle.model: required for openai"))
	}
	for _, n := range []struct {
		key string
		v   float64
	}{{"concurrency", float64(c.Oracle.Concurrency)}, {"rpm", c.Oracle.RPM}, {"tpm", c.Oracle.TPM}, {"max_cost", c.Oracle.MaxCost},
		{"target_count", float64(c.Oracle.TargetCount)}, {"max_tokens", float64(c.Oracle.MaxTokens)},
		{"batch_size", float64(c.Oracle.BatchSize)}, {"max_attempts", float64(c.Oracle.MaxAttempts)}} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("oracle.%s: %g: must be 0 (the default) or more", n.key, n.v))
		}
	}
	if c.Split.Ratios != nil {
		add("split.ratios", filters.CheckRatios(c.Split.Ratios))
	}
	if t := c.Split.NearThreshold; t < 0 || t > 1 {
		errs = append(errs, fmt.Errorf("split.near_threshold: %g: must be in (0, 1]", t))
	}
	if s := c.Split.MaxTierShare; s < 0 || s > 1 {
		errs = append(errs, fmt.Errorf("split.max_tier_share: %g: must be in (0, 1]", s))
	}
	for _, k := range [][2]string{{"split.combine", c.Split.Combine}, {"student.combine", c.Student.Combine}, {"evaluate.combine", c.Evaluate.Combine}} {
		if k[1] != "" {
			add(k[0], curate.CheckCombine(k[1]))
		}
	}
	switch c.Student.Backend {
	case "", "linear", "lora":
	default:
		errs = append(errs, fmt.Errorf("student.backend: %q: want linear or lora", c.Student.Backend))
	}
	for _, k := range [][2]string{{"predict.split", c.Predict.Split}, {"evaluate.split", c.Evaluate.Split}} {
		switch k[1] {
		case "", "test", "val", "train", "all":
		default:
			errs = append(errs, fmt.Errorf("%s: %q: want test, val, train or all", k[0], k[1]))
		}
	}
	if c.Evaluate.K < 0 {
		errs = append(errs, fmt.Errorf("evaluate.k: %d: must be 0 (the default) or more", c.Evaluate.K))
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
