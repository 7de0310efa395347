// Package pipeline runs every stage, in order, from one pipeline.yaml:
// the writing stages of spec.Stages (ingest, prefilter, compress, label,
// split, train, predict, eval), then the report. A stage whose inputs (the
// snapshots it reads, the filter's sha256, its settings) are what they were
// when it last completed is skipped; a failure stops the run with the
// stage, the cause and the command that resumes it. Load reads the file;
// Run runs it.
package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/strictyaml"
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
	// CV cross-validates the student after eval, when cv.folds is set.
	CV     CV     `yaml:"cv"`
	Report Report `yaml:"report"`

	// Dir is the folder of the file: relative paths are resolved against it.
	Dir string `yaml:"-"`
	// Path is the file.
	Path string `yaml:"-"`
	// lines are the lines of the file's keys, for the problems Check finds.
	lines strictyaml.Lines
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

// CV configures the cross-validation step (`distill cv`): it runs only
// when Folds is set, with the student section's backend and settings.
type CV struct {
	Folds int `yaml:"folds"`
	Seed  int `yaml:"seed"` // default: split.seed, else filter.yaml's splits.seed
}

// Report configures the HTML report.
type Report struct {
	Out  string `yaml:"out"` // default report.html beside the lake
	Skip bool   `yaml:"skip"`
}

// Load reads and validates a pipeline file. Every problem of the file is
// returned at once, a *ConfigError naming each one's line and key; unknown
// keys are problems, with the key probably meant.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := parse(path, b)
	if err != nil {
		return nil, err
	}
	c.Dir = filepath.Dir(path)
	return c, nil
}

// parse decodes a pipeline file strictly and checks what can be checked
// without the filter; file names it in the problems.
func parse(file string, b []byte) (*Config, error) {
	c := &Config{Path: file}
	lines, decoded := strictyaml.Decode(b, c)
	c.lines = lines
	e := &ConfigError{File: file}
	whole := false
	for _, p := range decoded {
		e.Problems = append(e.Problems, p)
		whole = whole || p.Key == ""
	}
	// A file that does not parse has no values to check.
	if !whole {
		c.validate(e, keysOf(decoded))
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return c, nil
}

func keysOf(ps []strictyaml.Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Key
	}
	return out
}

// validate adds the problems of the values decoded to e, but none of the
// keys in unread: their values could not be decoded, and their zero
// values would repeat that in other words.
func (c *Config) validate(e *ConfigError, unread []string) {
	add := func(key string, err error) {
		if err != nil && !slices.Contains(unread, key) {
			e.add(c.lines, key, err.Error())
		}
	}
	if c.Filter == "" && !slices.Contains(unread, "filter") {
		e.add(c.lines, "filter", "required (a filter package folder, e.g. filters/uplifting/v1)")
	}
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		if s.Path == "" {
			add(key+".path", errors.New("required"))
			continue
		}
		o := s.Options
		o.Paths = []string{s.Path}
		add(key, o.Validate())
	}
	switch c.Oracle.Kind {
	case "", "keywords", "gemini", "openai", "simulate":
	default:
		add("oracle.kind", fmt.Errorf("%q: want keywords, gemini, openai or simulate", c.Oracle.Kind))
	}
	if c.Oracle.Kind == "openai" && c.Oracle.Model == "" {
		add("oracle.model", errors.New("required for openai"))
	}
	for _, n := range []struct {
		key string
		v   float64
	}{{"concurrency", float64(c.Oracle.Concurrency)}, {"rpm", c.Oracle.RPM}, {"tpm", c.Oracle.TPM}, {"max_cost", c.Oracle.MaxCost},
		{"target_count", float64(c.Oracle.TargetCount)}, {"rpd", float64(c.Oracle.RPD)}, {"max_tokens", float64(c.Oracle.MaxTokens)},
		{"batch_size", float64(c.Oracle.BatchSize)}, {"max_attempts", float64(c.Oracle.MaxAttempts)}} {
		if n.v < 0 {
			add("oracle."+n.key, fmt.Errorf("%s must be 0 (the default) or more", human.Number(n.v)))
		}
	}
	if c.Split.Ratios != nil {
		add("split.ratios", filters.CheckRatios(c.Split.Ratios))
	}
	if t := c.Split.NearThreshold; t < 0 || t > 1 {
		add("split.near_threshold", fmt.Errorf("%s must be in (0, 1]", human.Number(t)))
	}
	if s := c.Split.MaxTierShare; s < 0 || s > 1 {
		add("split.max_tier_share", fmt.Errorf("%s must be in (0, 1]", human.Number(s)))
	}
	for _, k := range [][2]string{{"split.combine", c.Split.Combine}, {"student.combine", c.Student.Combine}, {"evaluate.combine", c.Evaluate.Combine}} {
		if k[1] != "" {
			add(k[0], curate.CheckCombine(k[1]))
		}
	}
	switch c.Student.Backend {
	case "", "linear", "lora", "embed":
	default:
		add("student.backend", fmt.Errorf("%q: want linear, lora or embed", c.Student.Backend))
	}
	if q := c.Predict.Quantize; predict.Quantizes(q) && c.Student.Backend != "lora" {
		// Refused at predict, after the labels were paid for: say it now.
		add("predict.quantize", fmt.Errorf("%s: the student is %s: only a lora student's base model is quantized (leave predict.quantize out)", q, cmp.Or(c.Student.Backend, "linear")))
	}
	for _, k := range [][2]string{{"predict.split", c.Predict.Split}, {"evaluate.split", c.Evaluate.Split}} {
		switch k[1] {
		case "", "test", "val", "train", "all":
		default:
			add(k[0], fmt.Errorf("%q: want test, val, train or all", k[1]))
		}
	}
	if c.Evaluate.K < 0 {
		add("evaluate.k", fmt.Errorf("%d must be 0 (the default) or more", c.Evaluate.K))
	}
}

// Abs resolves a path of the file against its folder.
func (c *Config) Abs(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}
