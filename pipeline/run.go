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
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
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
	// Result is what the stage's own command prints with --json (absent
	// for a skipped stage).
	Result spec.Result `json:"result,omitempty"`
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
	if err := c.Check(f); err != nil {
		return nil, err
	}
	res := &Result{Model: st.Stages[spec.Train.Name].Model}
	stages, err := plan(&runner{l: l, c: c, f: f, opts: opts, res: res})
	if err != nil {
		return nil, err
	}
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
		out, complete, err := s.run(ctx)
		if err != nil {
			return res, &StageError{Stage: s.name, Err: err, Resume: opts.Resume}
		}
		summary := spec.Brief(out)
		sr := StageResult{Stage: s.name, Summary: summary, Seconds: time.Since(start).Seconds(), Result: out}
		res.Stages = append(res.Stages, sr)
		fmt.Fprintf(opts.Out, "%d/%d ", i+1, len(stages))
		if err := spec.Print(opts.Out, out, false); err != nil {
			return res, err
		}
		if complete && fp != "" {
			ss := stageState{Fingerprint: fp, Summary: summary, At: time.Now().UTC(), Model: res.Model}
			if s.output.Table != "" {
				if cur, err := l.Current(ctx, s.output); err == nil && cur != nil {
					ss.Output = fmt.Sprint(cur.ID)
				}
			}
			if s.name != spec.Train.Name {
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
	return map[string]any{"files": out, "sources": c.sourceParams()}, nil
}

// label labels with the oracle the command line gives, else the file's.
func (r *runner) label(ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
	c, f, opts := r.c, r.f, r.opts
	orc := opts.Oracle
	if orc == nil {
		var err error
		if orc, err = oracle.New(ctx, oracle.Config{Kind: c.Oracle.Kind, Model: c.Oracle.Model, BaseURL: c.Oracle.BaseURL, Timeout: c.Oracle.Timeout, Filter: f}); err != nil {
			return nil, false, err
		}
	}
	res, err := label.Run(ctx, r.l, c.labelOptions(f, orc))
	return res, err == nil && res.Stopped == "" && res.Failed == 0, err
}
