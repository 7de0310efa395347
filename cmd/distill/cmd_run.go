package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/pipeline"
)

func runCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run every stage of a pipeline file in order, skipping those whose inputs are unchanged",
		ArgsUsage: "[pipeline.yaml]",
		Flags: []cli.Flag{lakeFlag, jsonFlag,
			&cli.BoolFlag{Name: "force", Usage: "run every stage, even those whose inputs are unchanged"},
			&cli.BoolFlag{Name: "dry-run", Usage: "check the file and print which stages would run and why, writing nothing"},
		},
		Action: func(c *cli.Context) error {
			res, err := e.runPipeline(c)
			if !c.Bool("json") {
				return err
			}
			if err != nil {
				if perr := e.printJSON(runFailure(res, err)); perr != nil {
					return perr
				}
				return err
			}
			return e.printJSON(res)
		},
	}
}

// runPipeline checks the file, then runs it (or, with --dry-run, plans it).
// Nothing is written, the lake not even made, until every check has passed.
func (e *env) runPipeline(c *cli.Context) (any, error) {
	path := "pipeline.yaml"
	if c.NArg() > 0 {
		path = c.Args().First()
	}
	cfg, err := pipeline.Load(path)
	if err != nil {
		return nil, err
	}
	dir := cfg.Abs(cfg.Lake)
	if lakeSet(c) || dir == "" {
		dir = lakeDir(c)
	}
	// Under --json stdout carries the one JSON object; the stages' lines go
	// to stderr with their progress.
	out := e.stdout
	if c.Bool("json") {
		out = e.stderr
	}
	p, err := pipeline.Prepare(c.Context, cfg, pipeline.Options{Out: out, Progress: e.stderr, Force: c.Bool("force"), Resume: commandLine(e.args)})
	if err != nil {
		return nil, err
	}
	l, err := lake.OpenWith(c.Context, dir, lakeOptions(c))
	switch {
	case errors.Is(err, lake.ErrNoLake) && c.Bool("dry-run"):
		l = nil
	case errors.Is(err, lake.ErrNoLake):
		// A pipeline may start from nothing: make the lake.
		if l, err = lake.CreateWith(c.Context, dir, lakeOptions(c)); err != nil {
			return nil, err
		}
		if err := ingest.Init(c.Context, l); err != nil {
			l.Close()
			return nil, err
		}
		fmt.Fprintf(e.stderr, "created lake %s\n", dir)
	case err != nil:
		return nil, err
	}
	if l != nil {
		defer l.Close()
		l.Command = commandLine(e.args)
	}
	if c.Bool("dry-run") {
		return e.printPlan(c, p, l, path, dir)
	}
	res, err := p.Run(c.Context, l)
	if err == nil && !c.Bool("json") && res.Report != "" {
		fmt.Fprintf(e.stdout, "report: %s\n", res.Report)
	}
	return res, err
}

// plan is what `distill run --dry-run --json` prints.
type plan struct {
	File  string          `json:"file"`
	Lake  string          `json:"lake"`
	Steps []pipeline.Step `json:"steps"`
}

func (e *env) printPlan(c *cli.Context, p *pipeline.Prepared, l *lake.Lake, path, dir string) (any, error) {
	steps, err := p.Plan(c.Context, l)
	if err != nil {
		return nil, err
	}
	pl := &plan{File: path, Lake: dir, Steps: steps}
	if c.Bool("json") {
		return pl, nil
	}
	fmt.Fprintf(e.stdout, "plan of %s on lake %s (a dry run: nothing written)\n", path, dir)
	for i, s := range steps {
		verdict := "skip"
		if s.Runs {
			verdict = "run "
		}
		fmt.Fprintf(e.stdout, "%d/%d %-9s %s  %s\n", i+1, len(steps), s.Stage, verdict, s.Reason)
		fmt.Fprintf(e.stdout, "    reads %s; writes %s\n", orNone(s.Reads), orNone(s.Writes))
	}
	return pl, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}

// runError is what `distill run --json` prints when it fails: the error,
// the stage it failed in, what to do, and what the stages before it did.
type runError struct {
	Error    string                 `json:"error"`
	Stage    string                 `json:"stage,omitempty"`
	Hint     string                 `json:"hint,omitempty"`
	Problems []string               `json:"problems,omitempty"`
	Stages   []pipeline.StageResult `json:"stages"`
	Model    string                 `json:"model,omitempty"`
}

func runFailure(res any, err error) *runError {
	out := &runError{Error: err.Error(), Stages: []pipeline.StageResult{}}
	if r, ok := res.(*pipeline.Result); ok && r != nil {
		out.Stages, out.Model = r.Stages, r.Model
	}
	var se *pipeline.StageError
	if errors.As(err, &se) {
		out.Stage = se.Stage
	}
	var ce *pipeline.CheckError
	if errors.As(err, &ce) {
		out.Problems = ce.Problems
	}
	var hint interface{ Hint() string }
	if errors.As(err, &hint) {
		out.Hint = hint.Hint()
	}
	return out
}

// lakeSet reports whether --lake (or DISTILL_LAKE) was given.
func lakeSet(c *cli.Context) bool {
	for _, ctx := range c.Lineage() {
		if ctx.IsSet("lake") {
			return true
		}
	}
	return false
}
