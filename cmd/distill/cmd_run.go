package main

import (
	"fmt"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/pipeline"
	"github.com/urfave/cli/v2"
)

func runCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run every stage of a pipeline file in order, skipping those whose inputs are unchanged",
		ArgsUsage: "[pipeline.yaml]",
		Flags: []cli.Flag{lakeFlag, jsonFlag,
			&cli.BoolFlag{Name: "force", Usage: "run every stage, even those whose inputs are unchanged"},
		},
		Action: func(c *cli.Context) error {
			path := "pipeline.yaml"
			if c.NArg() > 0 {
				path = c.Args().First()
			}
			cfg, err := pipeline.Load(path)
			if err != nil {
				return err
			}
			dir := cfg.Abs(cfg.Lake)
			if lakeSet(c) || dir == "" {
				dir = lakeDir(c)
			}
			l, err := lake.Open(c.Context, dir)
			if err != nil {
				// A pipeline may start from nothing: make the lake.
				if l, err = lake.Create(c.Context, dir); err != nil {
					return err
				}
				if err := ingest.Init(c.Context, l); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "created lake %s\n", dir)
			}
			defer l.Close()
			l.Command = commandLine(e.args)
			out := e.stdout
			if c.Bool("json") {
				out = e.stderr
			}
			res, err := pipeline.Run(c.Context, l, cfg, pipeline.Options{Out: out, Force: c.Bool("force"), Resume: commandLine(e.args)})
			if c.Bool("json") && res != nil {
				if perr := e.printJSON(res); perr != nil {
					return perr
				}
			}
			if err != nil {
				return err
			}
			if !c.Bool("json") && res.Report != "" {
				fmt.Fprintf(e.stdout, "report: %s\n", res.Report)
			}
			return nil
		},
	}
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
