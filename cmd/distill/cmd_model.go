package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/gate"
	"github.com/distillery/distillery/students"
)

func modelCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "model",
		Usage: "list, describe, tag, export and verify models (production: the model distill gate compares against)",
		Subcommands: []*cli.Command{
			modelDescribeCommand(e), modelExportCommand(e), modelVerifyCommand(e),
			{
				Name:      "tag",
				Usage:     "name MODEL by TAG from now on (the newest tag row wins): <filter>.model_tags",
				ArgsUsage: "TAG MODEL (an id, or latest: the newest)",
				Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
					&cli.StringFlag{Name: "note", Usage: "why, for whoever reads the tags later"}},
				Action: func(c *cli.Context) error {
					if c.NArg() != 2 {
						return fmt.Errorf("model tag takes a TAG and a MODEL, e.g. distill model tag production linear-20261126-183000-3fa2 --filter DIR")
					}
					f, err := filters.Load(c.String("filter"))
					if err != nil {
						return err
					}
					l, err := e.openLake(c)
					if err != nil {
						return err
					}
					defer l.Close()
					model := c.Args().Get(1)
					if model == students.Latest {
						if model, err = students.ResolveID(c.Context, l, f, students.Latest); err != nil {
							return err
						}
					}
					res, err := gate.Tag(c.Context, l, gate.TagOptions{Filter: f, Tag: c.Args().Get(0), Model: model, Note: c.String("note")})
					if err != nil {
						return err
					}
					return e.printResult(c, res)
				},
			},
			{
				Name:  "tags",
				Usage: "list every tag row, newest first; * marks the model each tag names now",
				Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag},
				Action: listing(e, gate.Tags, func(rows []gate.TagRow) []string {
					if len(rows) == 0 {
						return []string{"no tags yet: " + spec.ModelTag.Usage}
					}
					lines := []string{"TAG\tMODEL\tNOW\tTAGGED AT\tNOTE"}
					for _, r := range rows {
						now := ""
						if r.Current {
							now = "*"
						}
						lines = append(lines, fmt.Sprintf("%s\t%s\t%s\t%s\t%s", r.Tag, r.Model, now, r.TaggedAt.UTC().Format("2006-01-02 15:04:05"), r.Note))
					}
					return spec.Columns(lines...)
				}),
			},
			{
				Name:  "list",
				Usage: "list the filter's models, newest first: id, backend, when trained, validation MAE, tags",
				Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag},
				Action: listing(e, gate.Models, func(rows []gate.ModelRow) []string {
					lines := []string{"ID\tBACKEND\tTRAINED AT\tVAL MAE\tTAGS"}
					for _, r := range rows {
						lines = append(lines, fmt.Sprintf("%s\t%s\t%s\t%s\t%s", r.ID, r.Backend, r.TrainedAt.UTC().Format("2006-01-02 15:04:05"), num(r.ValMAE), strings.Join(r.Tags, ", ")))
					}
					return spec.Columns(lines...)
				}),
			},
		},
	}
}

// listing is the action of a command that lists rows of a filter's lake:
// read reads them, and they print as JSON with --json, else as lines.
func listing[R any](e *env, read func(context.Context, *lake.Lake, *filters.Filter) ([]R, error), lines func([]R) []string) cli.ActionFunc {
	return func(c *cli.Context) error {
		f, err := filters.Load(c.String("filter"))
		if err != nil {
			return err
		}
		l, err := e.openLake(c)
		if err != nil {
			return err
		}
		defer l.Close()
		rows, err := read(c.Context, l, f)
		if err != nil {
			return err
		}
		if c.Bool("json") {
			return e.printJSON(rows)
		}
		fmt.Fprintln(e.stdout, strings.Join(lines(rows), "\n"))
		return nil
	}
}
