package main

import (
	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/score"
	"github.com/distillery/distillery/students"
)

func shadowCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "shadow",
		Usage: "score production's articles with a candidate, apart, and compare: <filter>.shadow",
		Description: `distill shadow --filter DIR --candidate MODEL
  scores the articles distill score gave the production model, that the candidate has
  not shadowed yet, with the candidate (through the filter package stored with it)
  into <filter>.shadow, never into scores: nothing downstream sees them. Then compares
  the two on every article both scored: per dimension MAE and mean difference, the
  pass rate and the upper tiers' share of each, the tier flips and the articles that
  changed tier. Real traffic, not the test set: run it for a few days of new articles
  before distill gate and distill model tag production CANDIDATE.`,
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "candidate", Required: true, Usage: "the model `ID` to run beside production (or latest)"},
			&cli.IntFlag{Name: "show", Value: 20, Usage: "how many of the articles that changed tier to list"},
			&cli.IntFlag{Name: "workers", Usage: "cores to render and score on", DefaultText: "every core"},
			&cli.StringFlag{Name: "python", Usage: "the Python that runs a lora or sentence-encoder model", DefaultText: "$DISTILL_PYTHON, else the model's"},
			&cli.StringFlag{Name: "device", Usage: "auto, cpu or cuda, for a lora model"},
			&cli.IntFlag{Name: "batch-size", Usage: "texts per batch, for a lora model", Value: 32},
			quantizeFlag,
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
			cand := c.String("candidate")
			// latest and production name the newest and the tagged model.
			if cand, err = students.ResolveID(c.Context, l, f, cand); err != nil {
				return err
			}
			res, err := score.Shadow(c.Context, l, score.ShadowOptions{Filter: f, Candidate: cand, Show: c.Int("show"),
				Workers: c.Int("workers"), Python: c.String("python"), Device: c.String("device"), BatchSize: c.Int("batch-size"), Quantize: c.String("quantize")})
			if err != nil {
				return err
			}
			return e.printResult(c, res)
		},
	}
}
