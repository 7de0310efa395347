package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

func initCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "create a lake (catalog.db and warehouse/) with empty corpus tables",
		Flags: []cli.Flag{lakeFlag},
		Action: func(c *cli.Context) error {
			l, err := lake.Create(c.Context, lakeDir(c))
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
