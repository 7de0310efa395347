package pipeline

import (
	"bytes"
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
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/progress"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
)

// Options are what the command line adds to the file.
type Options struct {
	// Out receives each stage's result as its command prints it.
	Out io.Writer
	// Progress receives a line as each stage starts, and the stages'
	// progress bars when it is a terminal (stderr: Out stays for results).
	Progress io.Writer
	// Oracle, when set, replaces the one the file names (tests, the demo).
	Oracle oracle.Oracle
	// Resume is the command that runs the pipeline again, for error messages.
	Resume string
	// Force runs every stage, even unchanged ones.
	Force bool
}

// StageResult is one stage's outcome.
type StageResult struct {
	Stage   string `json:"stage"`
	Skipped bool   `json:"skipped"`
	// Reason says why the stage ran or was skipped.
	Reason  string  `json:"reason,omitempty"`
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
	// Sources is ingest's fingerprint of each source, by path: a run reads
	// again only the sources whose files changed.
	Sources map[string]string `json:"sources,omitempty"`
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

// Run checks c (Prepare) and runs it on the lake.
func Run(ctx context.Context, l *lake.Lake, c *Config, opts Options) (*Result, error) {
	p, err := Prepare(ctx, c, opts)
	if err != nil {
		return &Result{Stages: []StageResult{}}, err
	}
	return p.Run(ctx, l)
}

// Run runs the prepared pipeline on the lake: each stage in order, skipping
// those whose inputs are what they were when it last completed.
func (p *Prepared) Run(ctx context.Context, l *lake.Lake) (*Result, error) {
	c, f, opts := p.c, p.f, p.opts
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	res := &Result{Stages: []StageResult{}}
	st, err := loadState(l)
	if err != nil {
		return res, err
	}
	res.Model = st.Stages[spec.Train.Name].Model
	r := &runner{l: l, c: c, f: f, opts: opts, res: res, st: st}
	all, err := plan(r)
	if err != nil {
		return res, err
	}
	stages := runnable(all)
	for i, s := range stages {
		if err := ctx.Err(); err != nil {
			return res, &StageError{Stage: s.name, Err: err, Resume: opts.Resume}
		}
		start := time.Now()
		fp, err := fingerprint(ctx, s, f)
		if err != nil {
			return res, &StageError{Stage: s.name, Err: err, Resume: opts.Resume}
		}
		step := fmt.Sprintf("%d/%d", i+1, len(stages))
		if d := decide(ctx, l, s, st, fp, opts.Force, nil); !d.runs {
			prev := st.Stages[s.name]
			res.Stages = append(res.Stages, StageResult{Stage: s.name, Skipped: true, Reason: d.reason,
				Summary: "unchanged since " + prev.At.Format(timeFormat) + ": " + prev.Summary})
			fmt.Fprintf(opts.Out, "%s %-9s skipped: %s\n", step, s.name, d.reason)
			continue
		}
		fmt.Fprintf(opts.Progress, "[%s] %s ...\n", step, s.name)
		r.step = "[" + step + "] " + s.name
		var stop func()
		if !s.bar {
			stop = progress.Elapsed(opts.Progress, r.step)
		}
		out, complete, err := s.run(ctx)
		if stop != nil {
			stop()
		}
		if err != nil {
			return res, &StageError{Stage: s.name, Err: err, Resume: opts.Resume}
		}
		summary := spec.Brief(out)
		res.Stages = append(res.Stages, StageResult{Stage: s.name, Summary: summary, Seconds: time.Since(start).Seconds(), Result: out})
		fmt.Fprintf(opts.Out, "%s ", step)
		if err := spec.Print(opts.Out, out, false); err != nil {
			return res, err
		}
		p.remember(ctx, r, s, fp, summary, complete)
		if err := st.save(l); err != nil {
			return res, err
		}
	}
	return res, nil
}

// timeFormat is how a stage's last run is named in messages.
const timeFormat = "2006-01-02 15:04:05"

// remember records a completed stage's fingerprint and output in the state,
// or forgets the stage when it stopped early, so that it runs next time.
func (p *Prepared) remember(ctx context.Context, r *runner, s stage, fp, summary string, complete bool) {
	if !complete || fp == "" {
		delete(r.st.Stages, s.name)
		return
	}
	ss := stageState{Fingerprint: fp, Summary: summary, At: time.Now().UTC()}
	if s.output.Table != "" {
		if id, err := contentID(ctx, r.l, s.output); err == nil {
			ss.Output = id
		}
	}
	if s.name == spec.Train.Name {
		ss.Model = r.res.Model
	}
	if s.name == spec.Ingest.Name {
		ss.Sources = r.sources
	}
	r.st.Stages[s.name] = ss
}

// decision is whether a stage runs, and why (or why not).
type decision struct {
	runs   bool
	reason string
}

// decide says whether stage s runs given its fingerprint fp and the state.
// changed, in a dry run, holds the tables earlier stages of the plan write:
// their snapshots are not known until those stages have run.
func decide(ctx context.Context, l *lake.Lake, s stage, st *state, fp string, force bool, changed map[lake.TableName]string) decision {
	prev, ok := st.Stages[s.name]
	switch {
	case force:
		return decision{true, "--force"}
	case fp == "":
		return decision{true, "runs every time"}
	case !ok:
		return decision{true, "no completed run in this lake"}
	}
	for _, t := range s.reads {
		if by, ok := changed[t]; ok {
			return decision{true, fmt.Sprintf("%s runs first and may change %s", by, t)}
		}
	}
	since := prev.At.Format(timeFormat)
	if prev.Fingerprint != fp {
		return decision{true, "inputs changed since its run at " + since}
	}
	if !outputUnchanged(ctx, l, s.output, prev.Output) {
		return decision{true, fmt.Sprintf("%s changed since its run at %s", s.output, since)}
	}
	return decision{false, "inputs unchanged since its run at " + since}
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
	id, err := contentID(ctx, l, name)
	return err == nil && id != "" && id == want
}

// snapshots returns the current snapshot id of each table ("" for none).
func snapshots(ctx context.Context, l *lake.Lake, names ...lake.TableName) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range names {
		id, err := contentID(ctx, l, n)
		if errors.Is(err, lake.ErrNoTable) {
			out[n.String()] = ""
			continue
		}
		if err != nil {
			return nil, err
		}
		if id != "" {
			out[n.String()] = id
		}
	}
	return out, nil
}

// contentID names the rows of a table's current snapshot: its id, or, for a
// compaction (the same rows in fewer files), the id of the snapshot it
// compacted, so that compacting a table is not an input change. "" when the
// table has no snapshot.
func contentID(ctx context.Context, l *lake.Lake, name lake.TableName) (string, error) {
	cur, err := l.Current(ctx, name)
	if err != nil || cur == nil {
		return "", err
	}
	if !isCompaction(*cur) {
		return fmt.Sprint(cur.ID), nil
	}
	snaps, err := l.Snapshots(ctx, name)
	if err != nil {
		return "", err
	}
	byID := make(map[int64]lake.Snapshot, len(snaps))
	for _, s := range snaps {
		byID[s.ID] = s
	}
	s := *cur
	for isCompaction(s) && s.Parent != 0 {
		parent, ok := byID[s.Parent]
		if !ok {
			// Expired: its id still names the rows.
			return fmt.Sprint(s.Parent), nil
		}
		s = parent
	}
	return fmt.Sprint(s.ID), nil
}

// compactStage is the distill.stage of lake.Compact's snapshots.
const compactStage = "compact"

func isCompaction(s lake.Snapshot) bool { return s.Stage == compactStage && s.Operation == "replace" }

// files lists the inputs' files with sizes and modification times.
func files(c *Config) (any, error) {
	var out []string
	for _, s := range c.Sources {
		fs, err := sourceFiles(c, s)
		if err != nil {
			return nil, fmt.Errorf("source %w", err)
		}
		out = append(out, fs...)
	}
	sort.Strings(out)
	return map[string]any{"files": out, "sources": c.sourceParams()}, nil
}

// label labels with the oracle Prepare made (or the command line gave),
// showing its progress.
func (r *runner) label(ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
	o := r.c.labelOptions(r.f, r.opts.Oracle)
	bar := progress.Start(r.opts.Progress, r.step, false)
	defer bar.Done()
	started := time.Now()
	o.Progress = func(res label.Result) {
		bar.Set(res.RowsOut+res.Failed, res.RowsIn-res.AlreadyDone)
		bar.Note(fmt.Sprintf("%.1f labels/s, %s, $%.4f", float64(res.RowsOut)/time.Since(started).Seconds(), human.Plural(int64(res.Failed), "error"), res.Cost))
	}
	res, err := label.Run(ctx, r.l, o)
	return res, err == nil && res.Stopped == "" && res.Failed == 0, err
}

// MarshalJSON writes a stage's entry of `distill run --json`: the stage's
// result object as its own command's --json prints it (spec.Print), with
// whether it was skipped, why, and its summary line.
func (s StageResult) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if s.Result != nil {
		var buf bytes.Buffer
		if err := spec.Print(&buf, s.Result, true); err != nil {
			return nil, err
		}
		dec := json.NewDecoder(&buf)
		dec.UseNumber() // snapshot ids do not fit a float64
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
	} else {
		m["seconds"] = s.Seconds
	}
	m["stage"], m["skipped"], m["summary"] = s.Stage, s.Skipped, s.Summary
	if s.Reason != "" {
		m["reason"] = s.Reason
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // "->" in summaries, not "-\u003e"
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimRight(out.Bytes(), "\n"), nil
}
