package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/distillery/distillery/stages/split"
	"github.com/distillery/distillery/stages/train"
)

// Options are what the command line adds to the file.
type Options struct {
	// Out receives one line per stage.
	Out io.Writer
	// Oracle, when set, replaces the one the file names (tests, the demo).
	Oracle oracle.Oracle
	// Resume is the command that runs the pipeline again, for error messages.
	Resume string
	// Force runs every stage, even unchanged ones.
	Force bool
}

// StageResult is one stage's outcome.
type StageResult struct {
	Stage   string  `json:"stage"`
	Skipped bool    `json:"skipped"`
	Summary string  `json:"summary"`
	Seconds float64 `json:"seconds"`
}

// Result is a whole run.
type Result struct {
	Stages []StageResult `json:"stages"`
	Model  string        `json:"model,omitempty"`
	Report string        `json:"report,omitempty"`
}

// StageError is a stage that failed: what ran before it is committed.
type StageError struct {
	Stage  string
	Err    error
	Resume string
}

func (e *StageError) Error() string { return fmt.Sprintf("stage %s failed: %v", e.Stage, e.Err) }
func (e *StageError) Unwrap() error { return e.Err }

// Hint tells the user how to go on.
func (e *StageError) Hint() string {
	return fmt.Sprintf("everything the stages before %s committed is in the lake; fix the cause and run `%s`: finished stages are skipped", e.Stage, e.Resume)
}

// state is what the pipeline remembers between runs, per stage: the
// fingerprint of the inputs it last completed with and the output snapshot
// it left, in <lake>/pipeline/state.json.
type state struct {
	Stages map[string]stageState `json:"stages"`
}

type stageState struct {
	Fingerprint string    `json:"fingerprint"`
	Output      string    `json:"output"` // the output table's snapshot id after the run
	Model       string    `json:"model,omitempty"`
	Summary     string    `json:"summary"`
	At          time.Time `json:"completed_at"`
}

func statePath(l *lake.Lake) string { return filepath.Join(l.Root, "pipeline", "state.json") }

func loadState(l *lake.Lake) (*state, error) {
	s := &state{Stages: map[string]stageState{}}
	b, err := os.ReadFile(statePath(l))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("%s: %w (delete it to run every stage again)", statePath(l), err)
	}
	if s.Stages == nil {
		s.Stages = map[string]stageState{}
	}
	return s, nil
}

func (s *state) save(l *lake.Lake) error {
	if err := os.MkdirAll(filepath.Dir(statePath(l)), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	tmp := statePath(l) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, statePath(l))
}

// stage is one step: the inputs that decide whether it must run, the table
// it writes, and the work.
type stage struct {
	name   string
	inputs func(ctx context.Context) (any, error)
	output lake.TableName
	// run does the work; complete false means it stopped early (a cost cap,
	// failures) and must run again next time.
	run func(ctx context.Context) (summary string, complete bool, err error)
}

// Run runs the pipeline on the lake.
func Run(ctx context.Context, l *lake.Lake, c *Config, opts Options) (*Result, error) {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	f, err := filters.Load(c.Abs(c.Filter))
	if err != nil {
		return nil, err
	}
	st, err := loadState(l)
	if err != nil {
		return nil, err
	}
	res := &Result{Model: st.Stages["train"].Model}
	stages := plan(l, c, f, opts, res)
	for i, s := range stages {
		if err := ctx.Err(); err != nil {
			return res, &StageError{Stage: s.name, Err: err, Resume: opts.Resume}
		}
		start := time.Now()
		fp, err := fingerprint(ctx, s, f)
		if err != nil {
			return res, &StageError{Stage: s.name, Err: err, Resume: opts.Resume}
		}
		prev, ok := st.Stages[s.name]
		if ok && !opts.Force && fp != "" && prev.Fingerprint == fp && outputUnchanged(ctx, l, s.output, prev.Output) {
			sr := StageResult{Stage: s.name, Skipped: true, Summary: "unchanged since " + prev.At.Format("2006-01-02 15:04:05") + ": " + prev.Summary}
			res.Stages = append(res.Stages, sr)
			fmt.Fprintf(opts.Out, "%d/%d %-9s skipped: inputs unchanged since its run at %s\n", i+1, len(stages), s.name, prev.At.Format("2006-01-02 15:04:05"))
			continue
		}
		summary, complete, err := s.run(ctx)
		if err != nil {
			return res, &StageError{Stage: s.name, Err: err, Resume: opts.Resume}
		}
		sr := StageResult{Stage: s.name, Summary: summary, Seconds: time.Since(start).Seconds()}
		res.Stages = append(res.Stages, sr)
		fmt.Fprintf(opts.Out, "%d/%d %-9s %s (%.1fs)\n", i+1, len(stages), s.name, summary, sr.Seconds)
		if complete && fp != "" {
			ss := stageState{Fingerprint: fp, Summary: summary, At: time.Now().UTC(), Model: res.Model}
			if s.output.Table != "" {
				if cur, err := l.Current(ctx, s.output); err == nil && cur != nil {
					ss.Output = fmt.Sprint(cur.ID)
				}
			}
			if s.name != "train" {
				ss.Model = ""
			}
			st.Stages[s.name] = ss
		} else {
			delete(st.Stages, s.name)
		}
		if err := st.save(l); err != nil {
			return res, err
		}
	}
	return res, nil
}

// fingerprint hashes a stage's inputs with the filter's sha256.
func fingerprint(ctx context.Context, s stage, f *filters.Filter) (string, error) {
	if s.inputs == nil {
		return "", nil
	}
	in, err := s.inputs(ctx)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(map[string]any{"stage": s.name, "filter": f.SHA256, "inputs": in})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func outputUnchanged(ctx context.Context, l *lake.Lake, name lake.TableName, want string) bool {
	if name.Table == "" {
		return true
	}
	cur, err := l.Current(ctx, name)
	return err == nil && cur != nil && fmt.Sprint(cur.ID) == want
}

// snapshots returns the current snapshot id of each table ("" for none).
func snapshots(ctx context.Context, l *lake.Lake, names ...lake.TableName) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range names {
		cur, err := l.Current(ctx, n)
		if errors.Is(err, lake.ErrNoTable) {
			out[n.String()] = ""
			continue
		}
		if err != nil {
			return nil, err
		}
		if cur != nil {
			out[n.String()] = fmt.Sprint(cur.ID)
		}
	}
	return out, nil
}

// files lists the inputs' files with sizes and modification times.
func files(c *Config) (any, error) {
	var out []string
	for _, s := range c.Sources {
		matches, err := filepath.Glob(c.Abs(s.Path))
		if err != nil {
			return nil, err
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("source %s: no such file", s.Path)
		}
		for _, m := range matches {
			err := filepath.Walk(m, func(p string, info os.FileInfo, err error) error {
				if err != nil {
					return err
				}
				if !info.IsDir() {
					out = append(out, fmt.Sprintf("%s|%d|%d", p, info.Size(), info.ModTime().UnixNano()))
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(out)
	return map[string]any{"files": out, "sources": c.Sources}, nil
}

func plan(l *lake.Lake, c *Config, f *filters.Filter, opts Options, res *Result) []stage {
	raw := ingest.RawTable
	pre, comp := prefilter.Table(f), compress.Table(f)
	labels, splits := label.LabelsTable(f), split.Table(f.Namespace())
	models, preds := train.ModelsTable(f), predict.Table(f)
	evals := spec.Evaluations.For(f)
	snaps := func(names ...lake.TableName) func(context.Context) (any, error) {
		return func(ctx context.Context) (any, error) { return snapshots(ctx, l, names...) }
	}
	with := func(base func(context.Context) (any, error), params any) func(context.Context) (any, error) {
		return func(ctx context.Context) (any, error) {
			in, err := base(ctx)
			return map[string]any{"snapshots": in, "params": params}, err
		}
	}
	var stages []stage
	if len(c.Sources) > 0 {
		stages = append(stages, stage{name: "ingest", output: raw,
			inputs: func(context.Context) (any, error) { return files(c) },
			run: func(ctx context.Context) (string, bool, error) {
				var rows, rejected, dups int64
				for _, s := range c.Sources {
					paths, err := filepath.Glob(c.Abs(s.Path))
					if err != nil {
						return "", false, err
					}
					r, err := ingest.Run(ctx, l, ingest.Options{Paths: paths, Source: s.Source, Map: s.Map})
					if err != nil {
						return "", false, fmt.Errorf("%s: %w", s.Path, err)
					}
					rows, rejected, dups = rows+r.RowsOut, rejected+r.Rejected, dups+r.Duplicates
				}
				return fmt.Sprintf("%d new articles, %d rejected, %d duplicates -> %s", rows, rejected, dups, raw), true, nil
			}})
	}
	stages = append(stages,
		stage{name: "prefilter", output: pre, inputs: snaps(raw),
			run: func(ctx context.Context) (string, bool, error) {
				r, err := prefilter.Run(ctx, l, prefilter.Options{Filter: f})
				return fmt.Sprintf("%d decided, %d passed -> %s@%d", r.RowsOut, r.Passed, pre, r.Snapshot), err == nil, err
			}},
		stage{name: "compress", output: comp, inputs: snaps(raw, pre),
			run: func(ctx context.Context) (string, bool, error) {
				r, err := compress.Run(ctx, l, compress.Options{Filter: f})
				return fmt.Sprintf("%d rendered (%s) -> %s@%d", r.RowsOut, r.Mode, comp, r.Snapshot), err == nil, err
			}},
		stage{name: "label", output: labels, inputs: with(snaps(comp), c.Oracle),
			run: func(ctx context.Context) (string, bool, error) {
				orc := opts.Oracle
				if orc == nil {
					var err error
					if orc, err = newOracle(ctx, c.Oracle, f); err != nil {
						return "", false, err
					}
				}
				r, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, Concurrency: c.Oracle.Concurrency, RPM: c.Oracle.RPM,
					TPM: c.Oracle.TPM, MaxCost: c.Oracle.MaxCost, TargetCount: c.Oracle.TargetCount})
				s := fmt.Sprintf("%d labeled by %s (%d from the cache, %d sharing a prompt, %d failed), $%.4f -> %s", r.RowsOut, r.Model, r.Cached, r.Shared, r.Failed, r.Cost, labels)
				if r.Stopped != "" {
					s += "; stopped: " + r.Stopped
				}
				return s, err == nil && r.Stopped == "" && r.Failed == 0, err
			}},
		stage{name: "split", output: splits, inputs: with(snaps(labels, comp, raw), c.Split),
			run: func(ctx context.Context) (string, bool, error) {
				r, err := split.Run(ctx, l, split.Options{Filter: f, Seed: c.Split.Seed, Ratios: c.Split.Ratios, StratifyBy: c.Split.StratifyBy,
					Combine: c.Split.Combine, Balance: c.Split.Balance})
				if err != nil {
					return "", false, err
				}
				return fmt.Sprintf("%s: train %d, val %d, test %d, %d duplicate groups -> %s@%d", r.Mode, r.Counts["train"], r.Counts["val"], r.Counts["test"], r.Groups, splits, r.Snapshot), true, nil
			}},
		stage{name: "train", output: models, inputs: with(snaps(labels, splits, comp), c.Student),
			run: func(ctx context.Context) (string, bool, error) {
				s := c.Student
				r, err := train.Run(ctx, l, train.Options{Filter: f, Backend: s.Backend, Combine: c.Split.Combine,
					LoRA: train.LoRAOptions{Python: s.Python, BaseModel: s.BaseModel, Epochs: s.Epochs, LR: s.LR, BatchSize: s.BatchSize, MaxLength: s.MaxLength, Device: s.Device}})
				if err != nil {
					return "", false, err
				}
				res.Model = r.Model.ID
				return fmt.Sprintf("%s on %d examples: validation MAE %.3f (training mean %.3f) -> %s", r.Model.ID, r.Model.TrainRows, r.Model.ValMAE, r.Model.BaseMAE, models), true, nil
			}},
		stage{name: "predict", output: preds, inputs: with(snaps(models, splits, comp), c.Evaluate),
			run: func(ctx context.Context) (string, bool, error) {
				r, err := predict.Run(ctx, l, predict.Options{Filter: f, Model: res.Model, Split: evalSplit(c)})
				if err != nil {
					return "", false, err
				}
				return fmt.Sprintf("%d articles (%s) with %s, %.0f/s -> %s@%d", r.Predicted, evalSplit(c), r.Model, r.ArticlesPerS, preds, r.Snapshot), true, nil
			}},
		stage{name: "eval", output: evals, inputs: with(snaps(preds, labels, splits), c.Evaluate),
			run: func(ctx context.Context) (string, bool, error) {
				r, err := evaluate.Run(ctx, l, evaluate.Options{Filter: f, Model: res.Model, Split: evalSplit(c), Combine: c.Split.Combine})
				if err != nil {
					return "", false, err
				}
				s := fmt.Sprintf("%d articles of %s", r.InScope, evalSplit(c))
				if len(r.Models) > 0 {
					m := r.Models[0]
					s += fmt.Sprintf(": MAE %.3f over every dimension", m.All.MAE)
					if m.All.BaselineMAE != nil {
						s += fmt.Sprintf(" (training mean %.3f)", *m.All.BaselineMAE)
					}
					if m.Tiers.Accuracy != nil {
						s += fmt.Sprintf(", tier accuracy %.0f%%", 100**m.Tiers.Accuracy)
					}
				}
				return s + " -> " + r.Table, true, nil
			}},
	)
	stages = append(stages, reportStage(l, c, f, res)...)
	return stages
}

func evalSplit(c *Config) string {
	if c.Evaluate.Split == "" {
		return "test"
	}
	return c.Evaluate.Split
}

func newOracle(ctx context.Context, o Oracle, f *filters.Filter) (oracle.Oracle, error) {
	switch o.Kind {
	case "", "keywords":
		return oracle.NewKeywords(f), nil
	case "gemini":
		model := o.Model
		if model == "" {
			model = f.Oracle.Model
		}
		if model == "" {
			model = "gemini-2.5-flash"
		}
		return oracle.NewGemini(ctx, model, o.BaseURL, 2*time.Minute)
	case "openai":
		return oracle.NewOpenAI(o.Model, o.BaseURL, 2*time.Minute)
	}
	return nil, fmt.Errorf("oracle.kind %q", o.Kind)
}
