package main

import (
	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/score"
	"github.com/distillery/distillery/students"
)

func cascadeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "cascade",
		Usage: "measure a cheap first stage for distill score, and turn it on or off: <filter>.cascades",
		Description: `distill cascade --filter DIR --first MODEL [--recall 0.98] [--enable]
  predicts val and test with MODEL (a linear student) and chooses the highest threshold
  on its overall score that forwards at least --recall of the val articles the oracle
  put above the lowest tier; then shows, on test, the recall it keeps and the share of
  articles it forwards (the production model's work left). Nothing changes until
  --enable: then distill score sends to the production model only the articles at or
  above the threshold; the others keep the first stage's scores (stage cascade in
  <filter>.scores). --disable turns it off.`,
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "first", Usage: "the first-stage model `ID` (a linear student, or latest)"},
			&cli.Float64Flag{Name: "recall", Value: 0.98, Usage: "the share of val positives the threshold keeps"},
			&cli.BoolFlag{Name: "enable", Usage: "turn the cascade on for distill score"},
			&cli.BoolFlag{Name: "disable", Usage: "turn any cascade off"},
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
			first := c.String("first")
			// latest and production name the newest and the tagged model.
			if first, err = students.ResolveID(c.Context, l, f, first); err != nil {
				return err
			}
			res, err := score.Cascade(c.Context, l, score.CascadeOptions{Filter: f, First: first, Recall: c.Float64("recall"),
				Enable: c.Bool("enable"), Disable: c.Bool("disable")})
			if err != nil {
				return err
			}
			return e.printResult(c, res)
		},
	}
}
