package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/students"
)

func evalCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "score a student's predictions against the oracle's labels: <filter>.evaluations",
		Description: `distill eval --filter DIR --model ID [--split test|val|train|all] [--compare ID2]
  scores the model's predictions (<filter>.predictions) against the oracle's combined
  labels: per dimension MAE, RMSE, bias and Spearman next to the "predict the training
  mean" baseline; the overall score; tier accuracy and confusion; recall@k and
  precision/recall at the lowest tier above the bottom one; recall@k and NDCG@k per
  upper tier; a sweep of the overall threshold (best F1, and the highest threshold
  whose recall reaches --recall-target). For calibrated predictions, the raw and
  the calibrated figures side by side. Appends the metrics to
  <filter>.evaluations as one snapshot. --compare scores a second model beside it, both
  on the articles both predicted. When labels were chosen by label --select (or --sample), each
  article also weighs 1/inclusion of its label: the MAE (WEIGHTED) column estimates
  the MAE over the whole pool the selections drew from (weighted_mae, effective_n).
distill eval --predictions-file FILE
  scores a JSON file {"predictions": [[...]], "labels": [[...]], "dimension_names": [...],
  "article_ids": [...]} (the reference project's test_set_predictions.json); no lake.
distill eval --predictions-file FILE --calibrate [--seed N] [--k 20]
  fits isotonic calibration on a seed-chosen half of the file's articles and scores the
  other half raw and calibrated: MAE, bias and recall@k per dimension.`,
		Flags: []cli.Flag{lakeFlag, jsonFlag,
			&cli.StringFlag{Name: "filter", Usage: "filter package directory, e.g. filters/uplifting/v1"},
			&cli.StringFlag{Name: "model", Usage: "model id to evaluate (a row of <filter>.models), or latest: the newest", DefaultText: students.Latest},
			&cli.StringFlag{Name: "split", Value: evaluate.Test, Usage: "test, val, train, or all (every labeled article with a prediction)"},
			&cli.StringFlag{Name: "compare", Usage: "a second model id, scored beside --model on the articles both predicted"},
			&cli.IntFlag{Name: "k", Usage: "k of recall@k", DefaultText: "the number of evaluated articles in the oracle's tiers above the bottom one"},
			&cli.Float64Flag{Name: "recall-target", Value: evaluate.DefaultRecallTarget, Usage: "the threshold sweep's for_recall_target: the highest overall threshold whose recall reaches this share"},
			&cli.StringFlag{Name: "labels", Usage: "labels snapshot, e.g. labels@3 or labels@v1 (default: current)"},
			&cli.StringFlag{Name: "splits", Usage: "splits snapshot (default: current)"},
			&cli.StringFlag{Name: "predictions", Usage: "predictions snapshot (default: current)"},
			&cli.StringFlag{Name: "combine", Usage: "articles with several labels: latest or mean, optionally with oracle=KIND/MODEL to use one oracle's labels (e.g. mean,oracle=gemini/gemini-2.5-flash) (default: the filter's splits.combine)"},
			&cli.StringFlag{Name: "predictions-file", Usage: "evaluate this JSON file of predictions and labels instead of the lake"},
			&cli.BoolFlag{Name: "calibrate", Usage: "with --predictions-file: fit isotonic calibration on half the articles, score the other half raw and calibrated"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "with --calibrate: picks the half calibration is fitted on"},
		},
		Action: func(c *cli.Context) error {
			if c.IsSet("seed") && !c.Bool("calibrate") || c.Bool("calibrate") && c.String("predictions-file") == "" {
				return errors.New("--calibrate (and its --seed) go with --predictions-file FILE: train calibrates a lake's models, and eval scores them")
			}
			if path := c.String("predictions-file"); path != "" {
				for _, name := range []string{"filter", "model", "compare", "split", "labels", "splits", "predictions", "combine", "k", "recall-target"} {
					if c.IsSet(name) && (name != "k" || !c.Bool("calibrate")) {
						return fmt.Errorf("--predictions-file evaluates the file alone: drop --%s", name)
					}
				}
				if c.Bool("calibrate") {
					return evalCalibrateFile(c, e, path)
				}
				res, err := evaluate.RunFile(c.Context, path)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					return e.printJSON(res)
				}
				printEvalFile(e.stdout, res)
				return nil
			}
			if c.String("filter") == "" {
				return errors.New("eval needs --filter DIR (or --predictions-file FILE)")
			}
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			opts := evaluate.Options{Filter: f, Model: c.String("model"), Compare: c.String("compare"), Split: c.String("split"),
				Combine: c.String("combine"), K: c.Int("k"), RecallTarget: c.Float64("recall-target")}
			if err := refFlags(c, f, refArg{"labels", &opts.Labels}, refArg{"splits", &opts.Splits}, refArg{"predictions", &opts.Predictions}); err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			if err := resolveLatest(c.Context, l, f, &opts.Model, &opts.Compare); err != nil {
				return err
			}
			res, err := evaluate.Run(c.Context, l, opts)
			if err != nil {
				return err
			}
			return e.printResult(c, res)
		},
	}
}

// num prints a metric with three decimals, "-" for none.
func num(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *p)
}

func printEvalFile(w io.Writer, r *evaluate.FileResult) {
	fmt.Fprintf(w, "%s: %s, %s\n", r.File, human.Plural(int64(r.Articles), "article"), human.Plural(int64(len(r.Dimensions)), "dimension"))
	fmt.Fprintf(w, "MAE   %.4f  (every dimension of every article)\nRMSE  %.4f\nbias  %+.4f\n\n", r.MAE, r.RMSE, r.Bias)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DIMENSION\tN\tMAE\tRMSE\tBIAS\tSPEARMAN")
	for _, d := range r.PerDimension {
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\t%+.4f\t%s\n", d.Dimension, d.N, d.MAE, d.RMSE, d.Bias, num(d.Spearman))
	}
	tw.Flush()
}

// resolveLatest turns an empty or "latest" model (not a compared one, which
// is named) into the id of the filter's newest model.
func resolveLatest(ctx context.Context, l *lake.Lake, f *filters.Filter, model, compare *string) error {
	if *model != "" && *model != students.Latest {
		return nil
	}
	id, err := students.ResolveID(ctx, l, f, students.Latest)
	if err != nil {
		return err
	}
	*model = id
	if *compare == students.Latest {
		return fmt.Errorf("--compare %s: name the model to compare with the newest", students.Latest)
	}
	return nil
}

// evalCalibrateFile prints what calibration does to a predictions file.
func evalCalibrateFile(c *cli.Context, e *env, path string) error {
	res, err := evaluate.CalibrateFile(c.Context, path, c.Uint64("seed"), c.Int("k"))
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return e.printJSON(res)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, line := range res.Lines() {
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}
