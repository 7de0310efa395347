package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/urfave/cli/v2"
)

func evalCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "score a student's predictions against the oracle's labels: <filter>.evaluations",
		Description: `distill eval --filter DIR --model ID [--split test|val|train|all] [--compare ID2]
  scores the model's predictions (<filter>.predictions) against the oracle's combined
  labels: per dimension MAE, RMSE, bias and Spearman next to the "predict the training
  mean" baseline; the overall score; tier accuracy and confusion; recall@k and
  precision/recall at the lowest tier above the bottom one. Appends the metrics to
  <filter>.evaluations as one snapshot. --compare scores a second model beside it, both
  on the articles both predicted.
distill eval --predictions-file FILE
  scores a JSON file {"predictions": [[...]], "labels": [[...]], "dimension_names": [...],
  "article_ids": [...]} (the reference project's test_set_predictions.json); no lake.`,
		Flags: []cli.Flag{lakeFlag, jsonFlag,
			&cli.StringFlag{Name: "filter", Usage: "filter package directory, e.g. filters/uplifting/v1"},
			&cli.StringFlag{Name: "model", Usage: "model id to evaluate (a row of <filter>.models)"},
			&cli.StringFlag{Name: "split", Value: evaluate.Test, Usage: "test, val, train, or all (every labeled article with a prediction)"},
			&cli.StringFlag{Name: "compare", Usage: "a second model id, scored beside --model on the articles both predicted"},
			&cli.IntFlag{Name: "k", Usage: "k of recall@k (default: the number of evaluated articles in the oracle's tiers above the bottom one)"},
			&cli.StringFlag{Name: "labels", Usage: "labels snapshot, e.g. labels@3 or labels@v1 (default: current)"},
			&cli.StringFlag{Name: "splits", Usage: "splits snapshot (default: current)"},
			&cli.StringFlag{Name: "predictions", Usage: "predictions snapshot (default: current)"},
			&cli.StringFlag{Name: "combine", Usage: "articles with several labels: latest or mean (default: the filter's splits.combine)"},
			&cli.StringFlag{Name: "predictions-file", Usage: "evaluate this JSON file of predictions and labels instead of the lake"},
		},
		Action: func(c *cli.Context) error {
			if path := c.String("predictions-file"); path != "" {
				for _, name := range []string{"filter", "model", "compare", "split", "labels", "splits", "predictions", "combine", "k"} {
					if c.IsSet(name) {
						return fmt.Errorf("--predictions-file evaluates the file alone: drop --%s", name)
					}
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
				Combine: c.String("combine"), K: c.Int("k")}
			if err := refFlags(c, f, refArg{"labels", &opts.Labels}, refArg{"splits", &opts.Splits}, refArg{"predictions", &opts.Predictions}); err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := evaluate.Run(c.Context, l, opts)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return e.printJSON(res)
			}
			printEval(e.stdout, res)
			return nil
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

func signed(x float64) string { return fmt.Sprintf("%+.3f", x) }

func pct(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100**p)
}

func printEvalFile(w io.Writer, r *evaluate.FileResult) {
	fmt.Fprintf(w, "%s: %d articles, %d dimensions\n", r.File, r.Articles, len(r.Dimensions))
	fmt.Fprintf(w, "MAE   %.4f  (every dimension of every article)\nRMSE  %.4f\nbias  %+.4f\n\n", r.MAE, r.RMSE, r.Bias)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DIMENSION\tN\tMAE\tRMSE\tBIAS\tSPEARMAN")
	for _, d := range r.PerDimension {
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\t%+.4f\t%s\n", d.Dimension, d.N, d.MAE, d.RMSE, d.Bias, num(d.Spearman))
	}
	tw.Flush()
}

// rows lists a model's metric rows in print order: the dimensions, the
// overall score, every dimension pooled.
func rows(m evaluate.Model) []evaluate.Metrics {
	out := append([]evaluate.Metrics{}, m.Dimensions...)
	out = append(out, m.Overall, m.All)
	out[len(out)-1].Dimension = "all dimensions"
	return out
}

func printEval(w io.Writer, r *evaluate.Result) {
	a := r.Models[0]
	scope := a.Split + " articles"
	if a.Split == evaluate.All {
		scope = "labeled articles (every split)"
	}
	if len(r.Models) == 1 {
		fmt.Fprintf(w, "%s: model %s on %d %s (of %d labeled)\n", r.Filter, a.Model, a.Articles, scope, r.InScope)
	} else {
		fmt.Fprintf(w, "%s: model A = %s, B = %s, both on the %d %s both predicted (of %d labeled)\n", r.Filter, a.Model, r.Models[1].Model, a.Articles, scope, r.InScope)
	}
	read := []string{r.Predictions, r.Labels + " (combine: " + r.Combine + ")"}
	if r.Splits != "" {
		read = append(read, r.Splits)
	}
	fmt.Fprintf(w, "read %s -> %s@%d\n\n", strings.Join(read, ", "), r.Table, r.Snapshot)

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(r.Models) == 1 {
		fmt.Fprintln(tw, "DIMENSION\tN\tMAE\tBASELINE MAE\tRMSE\tBIAS\tSPEARMAN")
		for _, d := range rows(a) {
			fmt.Fprintf(tw, "%s\t%d\t%.3f\t%s\t%.3f\t%s\t%s\n", d.Dimension, d.N, d.MAE, num(d.BaselineMAE), d.RMSE, signed(d.Bias), num(d.Spearman))
		}
	} else {
		b := rows(r.Models[1])
		fmt.Fprintln(tw, "DIMENSION\tN\tMAE A\tMAE B\tBASELINE MAE\tRMSE A\tRMSE B\tBIAS A\tBIAS B\tSPEARMAN A\tSPEARMAN B")
		for i, d := range rows(a) {
			e := b[i]
			fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%s\t%.3f\t%.3f\t%s\t%s\t%s\t%s\n", d.Dimension, d.N, d.MAE, e.MAE, num(d.BaselineMAE),
				d.RMSE, e.RMSE, signed(d.Bias), signed(e.Bias), num(d.Spearman), num(e.Spearman))
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "(baseline: predict every article's training mean; bias: prediction minus oracle; all dimensions: every score pooled)")

	for i, m := range r.Models {
		t := m.Tiers
		name := m.Model
		if len(r.Models) > 1 {
			name = fmt.Sprintf("%c (%s)", 'A'+i, m.Model)
		}
		fmt.Fprintf(w, "\ntiers of %s: accuracy %s (%d of %d)\n", name, pct(t.Accuracy), t.Correct, t.Articles)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  ORACLE \\ PREDICTED\t%s\t\n", strings.Join(t.Names, "\t"))
		for j, row := range t.Confusion {
			cells := make([]string, len(row))
			for k, n := range row {
				cells[k] = fmt.Sprint(n)
			}
			fmt.Fprintf(tw, "  %s\t%s\t\n", t.Names[j], strings.Join(cells, "\t"))
		}
		tw.Flush()
		bottom := ""
		if len(t.Names) > 0 {
			bottom = t.Names[len(t.Names)-1]
		}
		fmt.Fprintf(w, "  recall@%d: %s (%d of the %d articles above %s are among the %d predicted highest)\n", t.K, pct(t.RecallAtK), t.Found, t.Relevant, bottom, t.K)
		if t.ThresholdTier != "" {
			fmt.Fprintf(w, "  at the %s threshold (overall >= %g): precision %s (%d of %d predicted there), recall %s (%d of %d)\n",
				t.ThresholdTier, t.Threshold, pct(t.Precision), t.TruePositives, t.TruePositives+t.FalsePositives,
				pct(t.Recall), t.TruePositives, t.TruePositives+t.FalseNegatives)
		}
	}
	for _, m := range r.Warnings {
		fmt.Fprintln(w, "warning:", m)
	}
}
