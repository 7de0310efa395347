package main

import (
	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/gate"
	"github.com/distillery/distillery/students"
)

func gateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "gate",
		Usage: "decide whether a candidate model may replace production: <filter>.gates; exits 3 on a regression",
		Description: `distill gate --filter DIR --candidate MODEL [--against production|baseline|MODEL]
  scores the candidate and the model it is compared with on the same oracle-labeled
  test articles: MAE (mean over dimensions, and of overall), and at the decision
  threshold (the lowest tier above the bottom one, unless --threshold) recall,
  precision and F1, and the Spearman correlation of overall; each difference with a
  paired bootstrap 95% interval (the articles resampled, both models on each resample).
  A regression is an interval of MAE or recall wholly on the worse side. --against
  production (the default) is the model 'distill model tag production MODEL' named
  last; with none, the candidate meets the training mean and median (judged on MAE).
  Refuses test labels of another oracle, oracle model or filter version than the
  candidate's training labels, and models without predictions of the test articles
  (naming the predict command). Appends the verdict to <filter>.gates.
Exit status: 0 pass, 3 regression, 1 any other error.`,
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "candidate", Usage: "the model gated (a row of <filter>.models), or latest: the newest", Required: true},
			&cli.StringFlag{Name: "against", Value: gate.Production, Usage: "production (the tagged model, else the baselines), baseline (the training mean and median), or a model id"},
			&cli.Float64Flag{Name: "threshold", Usage: "overall score at or above which an article is relevant", DefaultText: "the min_score of the lowest tier above the bottom one"},
			&cli.IntFlag{Name: "bootstrap", Value: gate.DefaultBootstrap, Usage: "bootstrap resamples"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the resampling: the same seed gives the same intervals"},
			&cli.StringFlag{Name: "split", Value: "test", Usage: "the split gated: test, val or all"},
			&cli.StringFlag{Name: "combine", Usage: "articles with several labels: latest or mean, optionally with oracle=KIND/MODEL to use one oracle's labels (e.g. mean,oracle=gemini/gemini-2.5-flash) (default: the filter's splits.combine)"},
		},
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			opts := gate.Options{Filter: f, Candidate: c.String("candidate"), Against: c.String("against"), Bootstrap: c.Int("bootstrap"),
				Seed: c.Uint64("seed"), Split: c.String("split"), Combine: c.String("combine")}
			if c.IsSet("threshold") {
				thr := c.Float64("threshold")
				opts.Threshold = &thr
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			if opts.Candidate == students.Latest {
				if opts.Candidate, err = students.ResolveID(c.Context, l, f, students.Latest); err != nil {
					return err
				}
			}
			res, err := gate.Run(c.Context, l, opts)
			if err != nil {
				return err
			}
			if err := e.printResult(c, res); err != nil {
				return err
			}
			if res.Verdict == gate.Regression {
				return &gate.RegressionError{Candidate: res.Candidate, Against: res.Against, Metrics: res.Regressed()}
			}
			return nil
		},
	}
}
