package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/progress"
	"github.com/distillery/distillery/stages/score"
)

func scoreCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "score",
		Usage:     "score new articles with each filter's production model: <filter>.scores",
		ArgsUsage: "[PATH...]",
		Description: `distill score --filter DIR [--filter DIR ...] | --all [PATH...] [--out FILE]
  ingests the PATHs first (as distill ingest does), then reads once the articles of
  corpus.raw that a filter has not scored and runs each through that filter's
  prefilter, compression and production model (distill model tag production MODEL),
  with the filter package stored with the model and its calibration, into
  <filter>.scores: the prefilter's verdict and reason, the scores, overall and tier.
  A rerun scores only new articles; --rescore scores again, with the current
  production model, every article it has not scored. --all scores every filter of
  the lake with a production model. --out FILE (.jsonl or .parquet) writes the
  newest score of every article of the filters scored, for the application downstream.`,
		Flags: []cli.Flag{lakeFlag, jsonFlag,
			&cli.StringSliceFlag{Name: "filter", Usage: "a filter package `DIR` (repeat for several)"},
			&cli.BoolFlag{Name: "all", Usage: "every filter of the lake with a production model (the packages stored with the models)"},
			&cli.BoolFlag{Name: "rescore", Usage: "score again with the current production model every article it has not scored"},
			&cli.StringFlag{Name: "out", Usage: "write the newest scores to `FILE` (.jsonl or .parquet)"},
			&cli.IntFlag{Name: "workers", Usage: "cores to render and score on", DefaultText: "every core"},
			&cli.StringFlag{Name: "python", Usage: "the Python that runs a lora or sentence-encoder model", DefaultText: "$DISTILL_PYTHON, else the model's"},
			&cli.StringFlag{Name: "device", Usage: "auto, cpu or cuda, for a lora model"},
			&cli.IntFlag{Name: "batch-size", Usage: "texts per batch, for a lora model", Value: 32},
			quantizeFlag,
		},
		Action: func(c *cli.Context) error {
			opts := score.Options{All: c.Bool("all"), Rescore: c.Bool("rescore"), Workers: c.Int("workers"),
				Python: c.String("python"), Device: c.String("device"), BatchSize: c.Int("batch-size"), Quantize: c.String("quantize")}
			for _, dir := range c.StringSlice("filter") {
				f, err := filters.Load(dir)
				if err != nil {
					return err
				}
				opts.Filters = append(opts.Filters, f)
			}
			if err := opts.Validate(); err != nil {
				return err
			}
			if out := c.String("out"); out != "" {
				if err := score.CheckOut(out); err != nil {
					return err
				}
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			var ingested *ingest.Result
			if c.NArg() > 0 {
				bar := progress.Start(e.stderr, "ingest", true)
				ingested, err = ingest.Run(c.Context, l, ingest.Options{Paths: c.Args().Slice(), Progress: bar.Set,
					Waiting: func() { fmt.Fprintln(e.stderr, "score: waiting for another ingest into this lake to finish") }})
				bar.Done()
				if err != nil {
					return err
				}
			}
			bar := progress.Start(e.stderr, "score", false)
			opts.Progress = bar.Set
			res, err := score.Run(c.Context, l, opts)
			bar.Done()
			if err != nil {
				return err
			}
			res.Ingest = ingested
			if out := c.String("out"); out != "" {
				var names []string
				for _, f := range res.Filters {
					names = append(names, f.Filter)
				}
				if res.Export, err = score.Export(c.Context, l, names, out); err != nil {
					return err
				}
			}
			return e.printResult(c, res)
		},
	}
}
