package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/inspect/runlog"
	"github.com/distillery/distillery/lake"
)

func logCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "log",
		Usage: "list every run in time order: stage, inputs, output snapshot, rows added, cost, params, command",
		Flags: []cli.Flag{lakeFlag, jsonFlag,
			&cli.StringFlag{Name: "table", Usage: "only runs that wrote this table (ns.table)"},
			&cli.IntFlag{Name: "limit", Usage: "only the N most recent entries (0: all)"},
			&cli.BoolFlag{Name: "wide", Usage: fmt.Sprintf("print every cell whole (without it, lines stay within %d characters, long cells shortened with …)", runlog.Width), DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("log takes no arguments (use --table ns.table)")
			}
			opts := runlog.Options{Limit: c.Int("limit")}
			if t := c.String("table"); t != "" {
				n, err := lake.ParseTableName(t, "")
				if err != nil {
					return err
				}
				opts.Table = n
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := runlog.Run(c.Context, l, opts)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return e.printJSON(res)
			}
			width := runlog.Width
			if c.Bool("wide") {
				width = 0
			}
			return res.Write(e.stdout, width)
		},
	}
}
