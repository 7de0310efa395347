package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/progress"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/prefilter"
)

var filterFlag = &cli.StringFlag{Name: "filter", Usage: "filter package directory, e.g. filters/uplifting/v1", Required: true}

func filterCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "filter",
		Usage: "create and check filter packages",
		Subcommands: []*cli.Command{
			{
				Name:      "validate",
				Usage:     "check a filter package; exits non-zero naming every wrong file and field",
				ArgsUsage: "DIR...",
				Action: func(c *cli.Context) error {
					if c.NArg() == 0 {
						return fmt.Errorf("filter validate takes one or more package directories")
					}
					var failed []error
					for _, dir := range c.Args().Slice() {
						f, err := filters.Load(dir)
						if err != nil {
							failed = append(failed, err)
							fmt.Fprintf(e.stderr, "%s: invalid\n%v\n", dir, err)
							continue
						}
						fmt.Fprintf(e.stdout, "%s: ok: %s v%d, %s, %s, sha256 %s\n", dir, f.Name, f.Version, human.Plural(int64(len(f.Dimensions)), "dimension"), human.Plural(int64(len(f.Tiers)), "tier"), f.SHA256[:12])
					}
					if len(failed) > 0 {
						return fmt.Errorf("invalid: %d of %s", len(failed), human.Plural(int64(c.NArg()), "filter package"))
					}
					return nil
				},
			},
			{
				Name:      "new",
				Usage:     "scaffold a valid filter package to edit: filters/NAME/v1",
				ArgsUsage: "NAME",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "dir", Value: "filters", Usage: "where filter packages live"}},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return fmt.Errorf("filter new takes a NAME")
					}
					pkg, err := filters.Scaffold(c.String("dir"), c.Args().First())
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "created %s (filter.yaml, prompt.md, README.md): edit it (its keywords are placeholders for your topic's words), then run `distill filter validate %s`\n", pkg, pkg)
					return nil
				},
			},
		},
	}
}

func prefilterCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "prefilter",
		Usage: "decide every raw article with the filter's cheap rules: <filter>.prefiltered",
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.BoolFlag{Name: "full", Usage: "decide every article again (a new snapshot replacing the table)"},
			&cli.StringFlag{Name: "raw", Value: spec.Raw.For(nil).String(), Usage: "input table, e.g. corpus.raw@3"},
			&cli.StringFlag{Name: "what-if", Usage: "another version of the filter: report what would flip, write nothing"},
		},
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			raw, err := lake.ParseRef(c.String("raw"), f.Namespace())
			if err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			if other := c.String("what-if"); other != "" {
				of, err := filters.Load(other)
				if err != nil {
					return err
				}
				res, err := prefilter.WhatIf(c.Context, l, f, of, raw)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					return e.printJSON(res)
				}
				w := e.stdout
				fmt.Fprintf(w, "what-if %s -> %s on %s (nothing written):\n", c.String("filter"), other, human.Plural(int64(res.Articles), "article"))
				fmt.Fprintf(w, "  passed: %d -> %d; %d blocked would pass, %d passed would be blocked\n", res.PassedBefore, res.PassedAfter, res.ToPassed, res.ToBlocked)
				for _, r := range res.Reasons[:min(len(res.Reasons), 8)] {
					fmt.Fprintf(w, "  %6d  now %s\n", r.N, r.Reason)
				}
				if len(res.BlockedBy) > 0 {
					fmt.Fprintf(w, "  would be %s\n", prefilter.BlockedLine(res.BlockedBy))
				}
				for _, t := range res.ByTier {
					fmt.Fprintf(w, "  labeled %-18s %d would pass, %d would be blocked\n", t.Tier+":", t.ToPassed, t.ToBlocked)
				}
				if len(res.Examples) > 0 {
					fmt.Fprintf(w, "  e.g. %s\n", strings.Join(res.Examples, ", "))
				}
				for _, wn := range res.Warnings {
					fmt.Fprintf(w, "  warning: %s\n", wn)
				}
				return nil
			}
			bar := progress.Start(e.stderr, "prefilter", false)
			res, err := prefilter.Run(c.Context, l, prefilter.Options{Filter: f, Raw: raw, Full: c.Bool("full")})
			bar.Done()
			if err != nil {
				return err
			}
			return e.printResult(c, res)
		},
	}
}

func compressCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "compress",
		Usage: "cut passed articles down to the exact model input: <filter>.compressed",
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.BoolFlag{Name: "full", Usage: "render every passed article again (a new snapshot replacing the table)"},
		},
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := compress.Run(c.Context, l, compress.Options{Filter: f, Full: c.Bool("full")})
			if err != nil {
				return err
			}
			return e.printResult(c, res)
		},
	}
}
