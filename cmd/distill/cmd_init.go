package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// initLakeFlag is --lake of init, whose default is only ever ./lake.
var initLakeFlag = &cli.StringFlag{Name: "lake", EnvVars: []string{"DISTILL_LAKE"}, Usage: "lake directory to create", DefaultText: defaultLake}

func initCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "create a lake (catalog.db and warehouse/) with empty corpus tables",
		Flags: []cli.Flag{initLakeFlag},
		Action: func(c *cli.Context) error {
			// Never a lake found in a parent folder: init makes one here.
			dir, given := lakeGiven(c)
			if !given {
				dir = defaultLake
			}
			l, err := lake.CreateWith(c.Context, dir, lakeOptions(c))
			if err != nil {
				return err
			}
			defer l.Close()
			if err := ingest.Init(c.Context, l); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "created lake %s (tables %s, %s)\n", l.Root, spec.Raw.For(nil), spec.Rejects.For(nil))
			return nil
		},
	}
}
