package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
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
	// skip leaves the stage out of the run.
	skip func(c *Config) bool
	run  func(r *runner, ctx context.Context, out lake.TableName) (res spec.Result, complete bool, err error)
}

// hows is every stage of spec.Stages the pipeline runs, by name: a stage
// added to spec.Stages without an entry here stops every run (and
// TestPlan_KnowsEverySpecStage).
var hows = map[string]how{
	spec.Ingest.Name: {
		inputs: files,
		skip:   func(c *Config) bool { return len(c.Sources) == 0 },
		run:    (*runner).ingest,
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
	spec.Label.Name: {params: (*Config).labelParams, run: (*runner).label},
	spec.Split.Name: {
		params: (*Config).splitParams,
		run: func(r *runner, ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
			res, err := split.Run(ctx, r.l, r.c.splitOptions(r.f))
			return res, err == nil, err
		},
	},
	spec.Train.Name: {
		params: (*Config).trainParams,
		run: func(r *runner, ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
			res, err := train.Run(ctx, r.l, r.c.trainOptions(r.f))
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
}

// plan is the run's steps: spec.Stages in order, then the report.
func plan(r *runner) ([]stage, error) {
	var stages []stage
	for _, s := range spec.Stages {
		h, ok := hows[s.Name]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnknownStage, s.Name)
		}
		if h.skip != nil && h.skip(r.c) {
			continue
		}
		out := s.Output().For(r.f)
		stages = append(stages, stage{name: s.Name, output: out, inputs: r.inputs(s, h),
			run: func(ctx context.Context) (spec.Result, bool, error) { return h.run(r, ctx, out) }})
	}
	return append(stages, reportStage(r.l, r.c, r.f, r.res)...), nil
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

// ingest reads every source into corpus.raw, each with its own Options.
func (r *runner) ingest(ctx context.Context, out lake.TableName) (spec.Result, bool, error) {
	var total *ingest.Result
	for _, s := range r.c.Sources {
		paths, err := filepath.Glob(r.c.Abs(s.Path))
		if err != nil {
			return nil, false, err
		}
		res, err := ingest.Run(ctx, r.l, r.c.ingestOptions(s, paths))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", s.Path, err)
		}
		total = total.Add(res)
	}
	return total, true, nil
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
