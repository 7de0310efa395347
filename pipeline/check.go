package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/students/lora"
)

// Prepared is a pipeline file that passed every check a run makes before it
// writes anything: its filter loaded, its oracle built.
type Prepared struct {
	c    *Config
	f    *filters.Filter
	opts Options
}

// CheckError is every problem Prepare found, reported together so that one
// edit of the file fixes them all; nothing was written.
type CheckError struct {
	Path     string
	Problems []string
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("%s: %s, nothing written:\n  %s", e.Path, human.Plural(int64(len(e.Problems)), "problem"), strings.Join(e.Problems, "\n  "))
}

// Hint tells the user how to go on.
func (e *CheckError) Hint() string {
	return "fix the file (or the environment) and run again; `distill run --dry-run` checks without running"
}

// Prepare checks everything a run of c needs before any stage writes: the
// filter package, every stage's Options, that each source exists, that the
// oracle's API key is set, that the lora student's python runs the trainer.
// Every problem found is in the one *CheckError.
func Prepare(ctx context.Context, c *Config, opts Options) (*Prepared, error) {
	var problems []string
	add := func(err error) {
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	f, err := filters.Load(c.Abs(c.Filter))
	if err != nil {
		add(fmt.Errorf("filter: %w", err))
	} else {
		// Each of Check's problems is one line of the report.
		var ce *ConfigError
		if err := c.Check(f); errors.As(err, &ce) {
			for _, p := range ce.Problems {
				problems = append(problems, p.Format(ce.File))
			}
		} else {
			add(err)
		}
	}
	for i, s := range c.Sources {
		if _, err := sourceFiles(c, s); err != nil {
			add(fmt.Errorf("sources[%d].path: %w", i, err))
		}
	}
	if opts.Oracle == nil && f != nil {
		orc, err := oracle.New(ctx, oracle.Config{Kind: c.Oracle.Kind, Model: c.Oracle.Model, BaseURL: c.Oracle.BaseURL, Timeout: c.Oracle.Timeout, Filter: f})
		if err != nil {
			add(fmt.Errorf("oracle: %w", err))
		}
		opts.Oracle = orc
	}
	if c.Student.Backend == "lora" {
		err := checkPython(ctx, "student.python", c.Student.LoRA.Python)
		add(err)
		if q := c.Student.LoRA.Quantize; err == nil && predict.Quantizes(q) {
			// Before any article is labeled: a quantized run without
			// bitsandbytes would otherwise fail at train, the oracle paid.
			add(checkQuantize(ctx, "student", q, c.Student.LoRA.Device, c.Student.LoRA.Python))
		}
		perr := err
		if p := c.Predict.Python; p != "" && p != c.Student.LoRA.Python {
			perr = checkPython(ctx, "predict.python", p)
			add(perr)
		}
		// predict loads the base as trained unless predict.quantize says
		// otherwise, on predict.device (default student.device): checked
		// too when that is not what was checked for the student.
		q, dev, py := c.Predict.Quantize, c.predictDevice(), cmp.Or(c.Predict.Python, c.Student.LoRA.Python)
		if q == "" || q == "auto" {
			q = c.Student.LoRA.Quantize
		}
		if perr == nil && predict.Quantizes(q) && (q != c.Student.LoRA.Quantize || dev != c.Student.LoRA.Device || py != c.Student.LoRA.Python) {
			add(checkQuantize(ctx, "predict", q, dev, py))
		}
	}
	if len(problems) > 0 {
		return nil, &CheckError{Path: c.Path, Problems: problems}
	}
	return &Prepared{c: c, f: f, opts: opts}, nil
}

// trainerProbe exits 0 when the trainer module can be imported, 3 when it is
// missing, without importing it (torch takes seconds to load).
const trainerProbe = `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("distill_trainer") else 3)`

// checkPython runs the interpreter a lora stage would, so that a missing
// trainer stops the run before ingest rather than at train.
func checkPython(ctx context.Context, key, python string) error {
	python, code, err := runProbe(ctx, 30*time.Second, python, trainerProbe)
	switch {
	case err == nil && code == 0:
		return nil
	case code == 3:
		return fmt.Errorf("%s: %s has no distill_trainer module: run `make trainer-venv` and set %s to its python (or $DISTILL_PYTHON)", key, python, key)
	default:
		return fmt.Errorf("%s: %s does not run (%v): run `make trainer-venv` and set %s to its python (or $DISTILL_PYTHON)", key, python, err, key)
	}
}

// runProbe runs script with python ("": the lora default), returning the
// interpreter run and its exit status; err is set, and code -1, when it
// did not run to an exit of its own (missing, killed, timed out).
func runProbe(ctx context.Context, timeout time.Duration, python, script string, args ...string) (string, int, error) {
	if python == "" {
		python = lora.PythonDefault()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := exec.CommandContext(ctx, python, append([]string{"-c", script}, args...)...).Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return python, 0, nil
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		return python, exit.ExitCode(), err
	default:
		return python, -1, err
	}
}

// quantizeProbe exits 3 without bitsandbytes (found without importing it)
// and, unless its argument is cpu, 4 when torch sees no CUDA device.
const quantizeProbe = `import importlib.util, sys
if not importlib.util.find_spec("bitsandbytes"):
    sys.exit(3)
if sys.argv[1] != "cpu":
    import torch
    sys.exit(0 if torch.cuda.is_available() else 4)`

// checkQuantize: a quantized lora run needs bitsandbytes in the trainer's
// Python, and a CUDA device unless <section>.device is cpu; the trainer
// would refuse either at train or predict, the labels paid for. section is
// student or predict, the pipeline.yaml section that asks.
func checkQuantize(ctx context.Context, section, quantize, device, python string) error {
	python, code, err := runProbe(ctx, 60*time.Second, python, quantizeProbe, device)
	switch {
	case err == nil && code == 0:
		return nil
	case code == 3:
		return fmt.Errorf("%[1]s.quantize: %[2]s needs bitsandbytes, which %[3]s does not have: pip install bitsandbytes into it, or set %[1]s.quantize: none", section, quantize, python)
	case code == 4:
		return fmt.Errorf("%[1]s.quantize: %[2]s needs a CUDA GPU, and torch in %[3]s sees none: run where there is one, set %[1]s.quantize: none, or %[1]s.device: cpu (bitsandbytes' CPU kernels, slow)", section, quantize, python)
	default:
		return fmt.Errorf("%s.quantize: checking %s for bitsandbytes and CUDA: %v", section, python, err)
	}
}

// sourceFiles lists a source's files, each with its size and modification
// time: what decides whether the source must be read again.
func sourceFiles(c *Config, s Source) ([]string, error) {
	matches, err := filepath.Glob(c.Abs(s.Path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("%s: no such file (relative to %s)", s.Path, c.Dir)
	}
	var out []string
	for _, m := range matches {
		if err := filepath.Walk(m, func(p string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			if !info.IsDir() {
				// Relative to the pipeline file, so the same file run from
				// another working directory names the same files.
				if rel, err := filepath.Rel(c.Dir, p); err == nil && !filepath.IsAbs(s.Path) {
					p = rel
				}
				out = append(out, fmt.Sprintf("%s|%d|%d", p, info.Size(), info.ModTime().UnixNano()))
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
