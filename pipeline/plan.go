package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/progress"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/cv"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/distillery/distillery/stages/split"
	"github.com/distillery/distillery/stages/train"
)

// stage is one step of a run: what decides whether it must run, the table
// it writes, and the work.
type stage struct {
	name   string
	inputs func(ctx context.Context) (any, error)
	output lake.TableName
	// reads are the tables whose snapshots its fingerprint hashes.
	reads []lake.TableName
	// skip, when set, says why the file leaves the stage out.
	skip string
	// bar is set for a stage that draws its own progress bar.
	bar bool
	// from and to are what a dry run says the stage reads and writes.
	from, to []string
	// run does the work; complete false means it stopped early (a cost cap,
	// failures) and must run again next time.
	run func(ctx context.Context) (res spec.Result, complete bool, err error)
}

// runner is what every stage's run needs: the lake, the file, its filter,
// the command line's options and the run's result so far (train's model).
type runner struct {
	l    *lake.Lake
	c    *Config
	f    *filters.Filter
	opts Options
	res  *Result
	st   *state
	// step names the running stage in progress output ("[4/9] label").
	step string
	// sources is ingest's fingerprint of each source after its run.
	sources map[string]string
}

// how says how the pipeline runs one stage of spec.Stages. What the stage
// reads and writes is its Spec's; this is only what the file adds.
type how struct {
	// params is the settings of the file that, with the snapshots of the
	// Spec's Reads, decide whether the stage must run again (nil: none).
	params func(c *Config) any
	// inputs, when set, replaces those snapshots (ingest reads files).
	inputs func(c *Config) (any, error)
	// unhashed are Reads left out of the fingerprint.
	unhashed []*spec.Table
	// skip, when it says why, leaves the stage out of the run.
	skip func(c *Config) string
	// bar is set where run draws a progress bar of its own.
	bar bool
	run func(r *runner, ctx context.Context, out lake.TableName) (res spec.Result, complete bool, err error)
}

// hows is every stage of spec.Stages the pipeline runs, by name: a stage
// added to spec.Stages without an entry here stops every run (and
// TestPlan_KnowsEverySpecStage).
var hows = map[string]how{
	spec.Ingest.Name: {
		inputs: files,
		skip: func(c *Config) string {
			if len(c.Sources) == 0 {
				return "no sources"
			}
			return ""
		},
		bar: true,
		run: (*runner).ingest,
	},
	spec.Prefilter.Name: {
		params: func(c *Config) any { return optionalParams(c.Prefilter) },
		run: func(r *runner, ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
			res, err := prefilter.Run(ctx, r.l, r.c.prefilterOptions(r.f))
			return res, err == nil, err
		},
	},
	spec.Compress.Name: {
		params: func(c *Config) any { return optionalParams(c.Compress) },
		run: func(r *runner, ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
			res, err := compress.Run(ctx, r.l, r.c.compressOptions(r.f))
			return res, err == nil, err
		},
	},
	spec.Label.Name: {params: (*Config).labelParams, bar: true, run: (*runner).label},
	spec.Split.Name: {
		params: (*Config).splitParams,
		run: func(r *runner, ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
			res, err := split.Run(ctx, r.l, r.c.splitOptions(r.f))
			return res, err == nil, err
		},
	},
	spec.Train.Name: {
		params: (*Config).trainParams,
		bar:    true,
		run: func(r *runner, ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
			o := r.c.trainOptions(r.f)
			bar := progress.Start(r.opts.Progress, r.step, false)
			o.Progress = func(p train.Progress) {
				if p.Steps > 0 {
					bar.Set(int64(p.Step), int64(p.Steps))
					bar.Note(fmt.Sprintf("epoch %d, loss %.3f", p.Epoch, p.Loss))
				} else if p.Message != "" {
					bar.Note(p.Message)
				}
			}
			res, err := train.Run(ctx, r.l, o)
			bar.Done()
			if err != nil {
				return res, false, err
			}
			r.res.Model = res.Model.ID
			return res, true, nil
		},
	},
	spec.Predict.Name: {
		params: (*Config).predictParams,
		run: func(r *runner, ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
			o := r.c.predictOptions(r.f, r.res.Model)
			res, err := predict.Run(ctx, r.l, o)
			return res, err == nil, err
		},
	},
	spec.Eval.Name: {
		params: (*Config).evalParams,
		// The model eval scores is the one predict just wrote predictions
		// for, so a new model already changes the predictions snapshot; and
		// lakes made before eval's Spec named models hashed eval without
		// it (hashing it now would evaluate their unchanged model again).
		unhashed: []*spec.Table{spec.Models},
		run: func(r *runner, ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
			o := r.c.evalOptions(r.f, r.res.Model)
			res, err := evaluate.Run(ctx, r.l, o)
			return res, err == nil, err
		},
	},
	spec.CV.Name: {
		params: func(c *Config) any { return c.CV },
		skip: func(c *Config) string {
			if c.CV.Folds == 0 {
				return "no cv.folds"
			}
			return ""
		},
		run: func(r *runner, ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
			res, err := cv.Run(ctx, r.l, r.c.cvOptions(r.f))
			return res, err == nil, err
		},
	},
}

// plan is the run's steps: spec.Pipeline() in order, then the report; those
// the file leaves out are there too, with skip saying why.
func plan(r *runner) ([]stage, error) {
	var stages []stage
	for _, s := range spec.Pipeline() {
		h, ok := hows[s.Name]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnknownStage, s.Name)
		}
		out := s.Output().For(r.f)
		st := stage{name: s.Name, output: out, inputs: r.inputs(s, h), bar: h.bar,
			run: func(ctx context.Context) (spec.Result, bool, error) { return h.run(r, ctx, out) }}
		if h.skip != nil {
			st.skip = h.skip(r.c)
		}
		if h.inputs == nil {
			for _, t := range hashedReads(s, h) {
				st.reads = append(st.reads, t.For(r.f))
			}
		}
		for _, t := range s.Reads {
			st.from = append(st.from, t.For(r.f).String())
		}
		if s == spec.Ingest {
			for _, src := range r.c.Sources {
				st.from = append(st.from, src.Path)
			}
		}
		for _, t := range s.Writes {
			st.to = append(st.to, t.For(r.f).String())
		}
		stages = append(stages, st)
	}
	return append(stages, reportStage(r.l, r.c, r.f, r.res)), nil
}

// runnable is the stages of a plan the file does not leave out.
func runnable(all []stage) []stage {
	var out []stage
	for _, s := range all {
		if s.skip == "" {
			out = append(out, s)
		}
	}
	return out
}

// inputs is what decides whether stage s must run: the current snapshots
// of the tables its Spec reads, with the file's settings for it.
func (r *runner) inputs(s *spec.Spec, h how) func(context.Context) (any, error) {
	if h.inputs != nil {
		return func(context.Context) (any, error) { return h.inputs(r.c) }
	}
	var names []lake.TableName
	for _, t := range hashedReads(s, h) {
		names = append(names, t.For(r.f))
	}
	return func(ctx context.Context) (any, error) {
		// A dry run on a lake not made yet: every stage runs.
		if r.l == nil {
			return nil, nil
		}
		snaps, err := snapshots(ctx, r.l, names...)
		if h.params == nil {
			return snaps, err
		}
		params := h.params(r.c)
		if params == nil {
			return snaps, err
		}
		return map[string]any{"snapshots": snaps, "params": params}, err
	}
}

// ingest reads into corpus.raw, each with its own Options, the sources
// whose files changed since ingest last completed (every source when
// corpus.raw itself changed since, or with --force).
func (r *runner) ingest(ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
	prev, ok := r.st.Stages[spec.Ingest.Name]
	reuse := ok && !r.opts.Force && outputUnchanged(ctx, r.l, out, prev.Output)
	r.sources = map[string]string{}
	var total *ingest.Result
	var unchanged []string
	bar := progress.Start(r.opts.Progress, r.step, true)
	defer bar.Done()
	for _, s := range r.c.Sources {
		fp, err := r.c.sourceFingerprint(s)
		if err != nil {
			return nil, false, err
		}
		r.sources[s.Path] = fp
		if reuse && prev.Sources[s.Path] == fp {
			unchanged = append(unchanged, s.Path)
			continue
		}
		paths, err := filepath.Glob(r.c.Abs(s.Path))
		if err != nil {
			return nil, false, err
		}
		o := r.c.ingestOptions(s, paths)
		o.Progress = bar.Set
		res, err := ingest.Run(ctx, r.l, o)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", s.Path, err)
		}
		total = total.Add(res)
	}
	if total == nil {
		// Every source unchanged (a source was removed from the file).
		sum := spec.Start(spec.Ingest, "")
		sum.Table, sum.Mode = out.String(), "unchanged"
		if cur, err := r.l.Current(ctx, out); err == nil && cur != nil {
			sum.Snapshot = cur.Seq
		}
		total = &ingest.Result{Summary: sum}
	}
	if len(unchanged) == 0 {
		return total, true, nil
	}
	return &ingestDone{Result: total, Unchanged: unchanged}, true, nil
}

// ingestDone is ingest's result when some sources were not read again.
type ingestDone struct {
	*ingest.Result
	// Unchanged are the sources whose files are as ingest last read them.
	Unchanged []string `json:"unchanged_sources"`
}

// Details adds the sources left unread to ingest's own lines.
func (d *ingestDone) Details() []string {
	return append(d.Result.Details(), fmt.Sprintf("not read again, unchanged since the last run: %s", strings.Join(d.Unchanged, ", ")))
}

// hashedReads are the tables whose snapshots a stage's fingerprint hashes:
// its Spec's Reads but those its how leaves out.
func hashedReads(s *spec.Spec, h how) []*spec.Table {
	var out []*spec.Table
	for _, t := range s.Reads {
		if !slices.Contains(h.unhashed, t) {
			out = append(out, t)
		}
	}
	return out
}
