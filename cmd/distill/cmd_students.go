package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/inspect/export"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/progress"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/linear"
)

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write a split as training data: regression or instruction rows, as jsonl, parquet or arrow",
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "split", Value: "train", Usage: "train, val, test or all"},
			&cli.StringFlag{Name: "format", Value: "jsonl", Usage: "jsonl, parquet or arrow (an Arrow IPC stream)"},
			&cli.StringFlag{Name: "style", Value: "regression", Usage: "regression (id, text, labels, dimension_names) or instruction (instruction, input, output)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "file to write (default export/<filter>_<split>_<style>.<ext>)"},
			&cli.StringFlag{Name: "labels", Usage: "labels snapshot, e.g. labels@v1 (default: current)"},
			&cli.StringFlag{Name: "splits", Usage: "splits snapshot, e.g. splits@2 (default: current)"},
			&cli.StringFlag{Name: "combine", Usage: "articles with several labels: latest or mean, optionally with oracle=KIND/MODEL to use one oracle's labels (e.g. mean,oracle=gemini/gemini-2.5-flash)"},
			&cli.BoolFlag{Name: "with-balanced-out", Usage: "keep training articles --balance left out"},
		},
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			opts := export.Options{Filter: f, Split: c.String("split"), Format: c.String("format"), Style: c.String("style"),
				Out: c.String("out"), Combine: c.String("combine"), WithBalancedOut: c.Bool("with-balanced-out")}
			if err := refFlags(c, f, refArg{"labels", &opts.Labels}, refArg{"splits", &opts.Splits}); err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := export.Run(c.Context, l, opts)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return e.printJSON(res)
			}
			fmt.Fprintf(e.stdout, "export: %s of split %s (%s, %s) -> %s\n", human.Plural(int64(res.Rows), opts.Style+" row"), opts.Split, res.Labels, res.Splits, res.Path)
			if res.Skipped > 0 {
				fmt.Fprintf(e.stdout, "  skipped %s left out by --balance (--with-balanced-out keeps them)\n", human.Plural(int64(res.Skipped), "training article"))
			}
			if res.NoText > 0 {
				fmt.Fprintf(e.stdout, "  skipped %s with no compressed text (run `distill prefilter` and `distill compress`)\n", human.Plural(int64(res.NoText), "split article"))
			}
			return nil
		},
	}
}

// quantizeFlag is how predict, score and shadow load a lora model's base.
var quantizeFlag = &cli.StringFlag{Name: "quantize", Usage: "lora: load the base in 4bit, 8bit or none (4bit and 8bit need bitsandbytes and CUDA, or --device cpu)", DefaultText: "as the model was trained"}

func trainCommand(e *env) *cli.Command {
	d := linear.DefaultConfig()
	return &cli.Command{
		Name:  "train",
		Usage: "train a student on the train split (val picks the best settings): <filter>.models",
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "backend", Value: "linear", Usage: "linear (hashed words, pure Go, CPU), lora (the Python trainer in trainer/) or embed (a frozen encoder, hashed or --embed-model's, and a ridge per dimension)"},
			&cli.StringFlag{Name: "labels", Usage: "labels snapshot (default: current)"},
			&cli.StringFlag{Name: "splits", Usage: "splits snapshot (default: current)"},
			&cli.StringFlag{Name: "combine", Usage: "articles with several labels: latest or mean, optionally with oracle=KIND/MODEL to use one oracle's labels (e.g. mean,oracle=gemini/gemini-2.5-flash)"},
			&cli.StringFlag{Name: "select-by", Value: "mae", Usage: "the validation metric that picks the linear penalty and the lora epoch: mae, recall@K or ndcg@K (of the ranking by overall score)"},
			&cli.StringFlag{Name: "sample-weight", Value: "none", Usage: "weigh the training rows in the loss (validation stays unweighted): none, score:S (1 + S × overall/10, e.g. score:2: the rare upper tiers count more) or tier (every tier present carries the same total weight)"},
			&cli.BoolFlag{Name: "no-calibrate", Usage: "skip the isotonic calibration fitted on the validation predictions (predict applies it)"},
			// linear
			&cli.UintFlag{Name: "bits", Value: d.Bits, Usage: "linear: log2 of the hashed feature buckets"},
			&cli.IntFlag{Name: "ngrams", Value: d.NGrams, Usage: "linear: 1 (words) or 2 (words and word pairs)"},
			&cli.IntFlag{Name: "min-df", Value: d.MinDF, Usage: "linear: drop features in fewer training texts"},
			&cli.Float64SliceFlag{Name: "lambda", Value: cli.NewFloat64Slice(d.Lambdas...), Usage: "linear: ridge penalties to try (the best on val is kept, per dimension)"},
			&cli.IntFlag{Name: "max-iter", Value: d.MaxIter, Usage: "linear: conjugate-gradient iterations per penalty"},
			// lora
			&cli.StringFlag{Name: "python", Usage: "lora: the Python that has distill_trainer installed (default $DISTILL_PYTHON or python3; predict remembers it)"},
			&cli.StringFlag{Name: "base-model", Usage: "lora: a local model folder or a hub id"},
			&cli.IntFlag{Name: "epochs", Value: 3, Usage: "lora: epochs (the best by validation MAE is kept)"},
			&cli.Float64Flag{Name: "lr", Value: 2e-4, Usage: "lora: learning rate"},
			&cli.IntFlag{Name: "batch-size", Value: 8, Usage: "lora: batch size"},
			&cli.IntFlag{Name: "max-length", Value: 512, Usage: "lora: tokens per text (head and tail kept)"},
			&cli.IntFlag{Name: "lora-r", Value: 16, Usage: "lora: rank"},
			&cli.IntFlag{Name: "lora-alpha", Value: 32, Usage: "lora: alpha"},
			&cli.Float64Flag{Name: "lora-dropout", Value: 0.05, Usage: "lora: dropout"},
			&cli.IntFlag{Name: "seed", Value: 42, Usage: "lora: seed"},
			&cli.StringFlag{Name: "device", Value: "auto", Usage: "lora: auto, cpu or cuda"},
			&cli.StringFlag{Name: "quantize", Value: "none", Usage: "lora: load the frozen base in 4bit (bitsandbytes NF4, QLoRA) or 8bit; needs bitsandbytes and CUDA (or --device cpu, slow); never falls back to full precision"},
			&cli.BoolFlag{Name: "gradient-checkpointing", Usage: "lora: recompute activations in the backward pass (less memory, about a third more compute)"},
			&cli.IntFlag{Name: "grad-accum", Value: 1, Usage: "lora: micro-batches of --batch-size per optimizer step (effective batch: batch-size x grad-accum)"},
			&cli.BoolFlag{Name: "plan", Usage: "lora: estimate the run's peak GPU memory and whether it fits --gpu-memory; trains nothing (no lake, labels or weights needed)"},
			&cli.StringFlag{Name: "gpu-memory", Value: "16GiB", Usage: "lora, with --plan: the GPU's memory, e.g. 16GiB, 24GB, 80G"},
			// embed
			&cli.StringFlag{Name: "embed-model", Value: train.HashedEncoder, Usage: "embed: the frozen encoder, hashed (pure Go, CPU) or a sentence encoder's folder (e.g. all-MiniLM-L6-v2's, run by --python; the model keeps the folder's path, not a copy)"},
		},
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			opts := studentOptions(c, f)
			if c.Bool("plan") {
				if !c.IsSet("backend") {
					opts.Backend = "lora"
				}
				return train.Plan(c.Context, train.PlanOptions{Options: opts, GPUMemory: c.String("gpu-memory"), JSON: c.Bool("json")}, e.stdout)
			}
			if err := refFlags(c, f, refArg{"labels", &opts.Labels}, refArg{"splits", &opts.Splits}); err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			bar := progress.Start(e.stderr, "train", false)
			opts.Progress = func(p train.Progress) {
				if p.Steps > 0 {
					bar.Set(int64(p.Step), int64(p.Steps))
					bar.Note(fmt.Sprintf("epoch %d, loss %.3f", p.Epoch, p.Loss))
				} else if p.Message != "" {
					bar.Note(p.Message)
				}
			}
			res, err := train.Run(c.Context, l, opts)
			bar.Done()
			if err != nil {
				return err
			}
			if err := e.printResult(c, res); err != nil || c.Bool("json") {
				return err
			}
			fmt.Fprintf(e.stdout, "  next: distill predict --filter %s --model %s\n", c.String("filter"), res.Model.ID)
			return nil
		},
	}
}

func predictCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "predict",
		Usage: "score articles with a trained student: <filter>.predictions",
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "model", Value: students.Latest, Usage: "model id (see <filter>.models), latest (the newest) or production (the model tagged production)"},
			&cli.StringFlag{Name: "split", Value: "test", Usage: "train, val, test, or all (every article of --table)"},
			&cli.StringFlag{Name: "table", Usage: "texts to score (id, text), e.g. compressed@3 (default: the filter's compressed)"},
			&cli.StringFlag{Name: "splits", Usage: "splits snapshot (default: current)"},
			&cli.BoolFlag{Name: "full", Usage: "predict again what this model already predicted"},
			&cli.IntFlag{Name: "workers", Usage: "linear: goroutines", DefaultText: "every core"},
			&cli.IntFlag{Name: "batch-size", Value: 32, Usage: "lora: texts per batch"},
			&cli.StringFlag{Name: "device", Usage: "lora: auto, cpu or cuda"},
			&cli.StringFlag{Name: "python", Usage: "lora: the Python that has distill_trainer installed (default $DISTILL_PYTHON, else the one the model was trained with)"},
			quantizeFlag,
		},
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			opts := predict.Options{Filter: f, Model: c.String("model"), Split: c.String("split"), Full: c.Bool("full"),
				Workers: c.Int("workers"), BatchSize: c.Int("batch-size"), Device: c.String("device"), Python: c.String("python"), Quantize: c.String("quantize")}
			if err := refFlags(c, f, refArg{"table", &opts.Table}, refArg{"splits", &opts.Splits}); err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			if opts.Model, err = students.ResolveID(c.Context, l, f, opts.Model); err != nil {
				return err
			}
			res, err := predict.Run(c.Context, l, opts)
			if err != nil {
				return err
			}
			if err := e.printResult(c, res); err != nil || c.Bool("json") {
				return err
			}
			fmt.Fprintf(e.stdout, "  next: distill eval --filter %s --model %s --split %s\n", c.String("filter"), res.Model, strings.TrimSpace(opts.Split))
			return nil
		},
	}
}
