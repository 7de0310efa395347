package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Step is one stage of a dry run's plan: whether it would run, and why.
type Step struct {
	Stage  string   `json:"stage"`
	Runs   bool     `json:"runs"`
	Reason string   `json:"reason"`
	Reads  []string `json:"reads"`
	Writes []string `json:"writes"`
}

// Plan says what Run would do on l, writing nothing; l is nil for a lake
// the run would create. A stage after one that runs may find nothing new
// and be skipped after all: its reason says which stage it waits on.
func (p *Prepared) Plan(ctx context.Context, l *lake.Lake) ([]Step, error) {
	st := &state{Stages: map[string]stageState{}}
	if l != nil {
		var err error
		if st, err = loadState(l); err != nil {
			return nil, err
		}
	}
	r := &runner{l: l, c: p.c, f: p.f, opts: p.opts, res: &Result{}, st: st}
	all, err := plan(r)
	if err != nil {
		return nil, err
	}
	steps := []Step{}
	changed := map[lake.TableName]string{}
	for _, s := range all {
		step := Step{Stage: s.name, Reads: s.from, Writes: s.to}
		if step.Reads == nil {
			step.Reads = []string{}
		}
		var d decision
		switch {
		case s.skip != "":
			d = decision{false, s.skip}
		case l == nil:
			d = decision{true, "the lake is created first"}
		default:
			fp, err := fingerprint(ctx, s, p.f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.name, err)
			}
			d = decide(ctx, l, s, st, fp, p.opts.Force, changed)
			if d.runs && s.name == spec.Ingest.Name {
				d.reason += p.changedSources(ctx, l, st)
			}
		}
		step.Runs, step.Reason = d.runs, d.reason
		if d.runs && s.output.Table != "" {
			changed[s.output] = s.name
		}
		steps = append(steps, step)
	}
	return steps, nil
}

// changedSources says which sources ingest would read again and which not.
func (p *Prepared) changedSources(ctx context.Context, l *lake.Lake, st *state) string {
	prev, ok := st.Stages[spec.Ingest.Name]
	if !ok || p.opts.Force || !outputUnchanged(ctx, l, spec.Raw.For(p.f), prev.Output) {
		return ""
	}
	var read, unchanged []string
	for _, s := range p.c.Sources {
		if fp, err := p.c.sourceFingerprint(s); err == nil && prev.Sources[s.Path] == fp {
			unchanged = append(unchanged, s.Path)
		} else {
			read = append(read, s.Path)
		}
	}
	if len(unchanged) == 0 {
		return ""
	}
	return fmt.Sprintf("; reads %s; not %s (unchanged)", strings.Join(read, ", "), strings.Join(unchanged, ", "))
}
