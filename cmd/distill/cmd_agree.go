package main

import (
	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/agree"
)

func agreeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "agree",
		Usage: "how far the oracles agree with each other and with themselves: <filter>.agreements",
		Description: `distill agree --filter DIR [--a KIND/MODEL] [--b KIND/MODEL] [--export FILE.jsonl|html]
  compares every oracle that labeled the filter's articles (an oracle is KIND/MODEL,
  e.g. gemini/gemini-2.5-flash) on the articles both scored, and each oracle with
  itself over its repeated asks (label --repeat K): its noise. Per dimension, for the
  overall score and for the tier: MAE, the mean offset b minus a with a 95% interval,
  the MAE once that offset is removed, Spearman, Krippendorff's alpha (interval), and
  the share of articles put in one tier; alpha across every oracle and ask. --a alone
  compares a with every other oracle; --a and --b, b against a. --export lists the
  articles they disagree on most with every answer's evidence and the compressed
  text: a .jsonl to judge (fill human_analysis, then
  distill label import --filter DIR --oracle human --model NAME --key human_analysis FILE)
  or an .html page to read. Appends the figures to <filter>.agreements.`,
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "a", Usage: "an oracle, KIND/MODEL (default: every oracle)"},
			&cli.StringFlag{Name: "b", Usage: "the oracle compared with --a, KIND/MODEL: offsets are b minus a (default: every other)"},
			&cli.StringFlag{Name: "labels", Usage: "the labels snapshot read (labels@N or a tag)", DefaultText: "the current one"},
			&cli.StringFlag{Name: "export", Usage: "write the articles the oracles disagree on most to FILE.jsonl (to judge and import back) or FILE.html"},
			&cli.IntFlag{Name: "top", Value: agree.DefaultTop, Usage: "how many articles --export lists"},
			&cli.BoolFlag{Name: "force", Usage: "let --export replace a file that exists"},
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
			res, err := agree.Run(c.Context, l, agree.Options{Filter: f, A: c.String("a"), B: c.String("b"), Labels: c.String("labels"),
				Export: c.String("export"), Top: c.Int("top"), Force: c.Bool("force")})
			if err != nil {
				return err
			}
			return e.printResult(c, res)
		},
	}
}
