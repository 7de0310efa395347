package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/inspect/report"
	"github.com/distillery/distillery/internal/human"
)

func reportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "write one self-contained HTML page of a filter's lake: prefilter funnel, tiers, histograms, splits, cost over time, MAE, confusion, snapshots",
		Description: `distill report --filter DIR [-o report.html] [--split test|val|train|all|cv]
  draws, as inline SVG in one HTML file that needs no network: the tier distribution and
  per-dimension score histograms of the oracle's labels, the split balance by tier, labels
  and cost over time by oracle, each model's MAE per dimension next to the mean baseline
  and its tier confusion matrix (latest evaluation on --split), and every table's snapshot
  history. Sections whose tables do not exist yet say so. -o - writes to stdout.`,
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: report.DefaultOut, Usage: "HTML file to write (- for stdout)"},
			&cli.StringFlag{Name: "split", Value: report.Test, Usage: "evaluation split to chart: test, val, train, all, or cv (distill cv's figures, pooled over its folds)"},
			&cli.StringFlag{Name: "labels", Usage: "labels snapshot, e.g. labels@3 or labels@v1 (default: current)"},
			&cli.StringFlag{Name: "combine", Usage: "articles with several labels: latest or mean, optionally with oracle=KIND/MODEL to use one oracle's labels (e.g. mean,oracle=gemini/gemini-2.5-flash) (default: the filter's splits.combine)"},
		},
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			opts := report.Options{Filter: f, Out: c.String("out"), Split: c.String("split"), Combine: c.String("combine")}
			if opts.Out == "-" {
				if c.Bool("json") {
					return fmt.Errorf("-o - writes the page to stdout: drop --json")
				}
				opts.Out, opts.Writer = "", e.stdout
			}
			if opts.Labels, err = refFlag(c, "labels", f); err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := report.Run(c.Context, l, opts)
			if err != nil {
				return err
			}
			if opts.Writer != nil {
				return nil
			}
			if c.Bool("json") {
				return e.printJSON(res)
			}
			fmt.Fprintf(e.stdout, "report: %s (%s KB, %s) from %s\n", res.Out, fmtKB(res.Bytes), human.Plural(int64(res.Charts), "chart"), res.Filter)
			for _, s := range res.Sections {
				if s.Missing != "" {
					fmt.Fprintf(e.stdout, "  %-26s %s\n", s.Title, s.Missing)
				} else {
					fmt.Fprintf(e.stdout, "  %-26s %s\n", s.Title, human.Plural(int64(s.Charts), "chart"))
				}
			}
			return nil
		},
	}
}

func fmtKB(n int) string { return fmt.Sprintf("%.0f", float64(n)/1024) }
