package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/drift"
)

func driftCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "drift",
		Usage: "compare the newest scores with the training labels and earlier weeks: <filter>.drift; --fail-on-drift exits 3 when something moved",
		Description: `distill drift --filter DIR [--by week|day|run]
  puts every article distill score scored (its newest score) in a window: the ISO week
  of its published date (--by day: the day; an article with no usable date, or one
  after it was scored, is dated by when it was scored, and the output says how many),
  or the score run (--by run). The newest window is compared with the oracle's labels
  of the train split (combined as train combines them) and with the earlier windows
  (pooled, and each one when there are two or more): per dimension, overall and tier,
  the population stability index (PSI) over 11 bins (the score rounded to 0-10; the
  tiers for tier), the mean and the upper tiers' share; and the pass rate (the share
  of scored articles the prefilter passed) against earlier windows.
  A PSI above --threshold (0.2: a significant shift; 0.1-0.2 reads as moderate) or a
  pass rate that moved more than --pass-threshold is flagged; a side with fewer than
  --min-articles articles is reported and never flagged. Appends every row to
  <filter>.drift, and ends with the label command that sends the articles of the
  moved score ranges to the oracle (label --select drift).
Exit status: 0 when it ran, whatever it flagged; with --fail-on-drift, 3 when
something was flagged; 1 any other error.`,
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "by", Value: drift.ByWeek, Usage: "the windows: week or day (of the published date), or run (the score run)"},
			&cli.Float64Flag{Name: "threshold", Value: drift.DefaultThreshold, Usage: "the PSI above which a dimension is flagged"},
			&cli.Float64Flag{Name: "pass-threshold", Value: drift.DefaultPassThreshold, Usage: "the change of the pass rate (a share, either way) beyond which it is flagged"},
			&cli.IntFlag{Name: "min-articles", Value: drift.DefaultMinArticles, Usage: "the fewest articles on each side for a comparison to be judged"},
			&cli.StringFlag{Name: "combine", Usage: "training articles with several labels: latest or mean, as train (default: the filter's splits.combine)"},
			&cli.BoolFlag{Name: "fail-on-drift", Usage: "exit 3 when something was flagged (for CI); the run is recorded either way"},
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
			// A 0 given is refused, not read as "the default" (Options'
			// zero value).
			for _, name := range []string{"threshold", "pass-threshold"} {
				if c.IsSet(name) && c.Float64(name) <= 0 {
					return fmt.Errorf("--%s %g: want a value above 0", name, c.Float64(name))
				}
			}
			if c.IsSet("min-articles") && c.Int("min-articles") <= 0 {
				return fmt.Errorf("--min-articles %d: want a value above 0", c.Int("min-articles"))
			}
			res, err := drift.Run(c.Context, l, drift.Options{Filter: f, By: c.String("by"), Threshold: c.Float64("threshold"),
				PassThreshold: c.Float64("pass-threshold"), MinArticles: c.Int("min-articles"), Combine: c.String("combine")})
			if err != nil {
				return err
			}
			if err := e.printResult(c, res); err != nil {
				return err
			}
			if c.Bool("fail-on-drift") && len(res.Flagged) > 0 {
				return res.FlaggedError()
			}
			return nil
		},
	}
}
