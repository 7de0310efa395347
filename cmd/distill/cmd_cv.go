package main

import (
	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/progress"
	"github.com/distillery/distillery/stages/cv"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students/linear"
)

func cvCommand(e *env) *cli.Command {
	// train's flags, so that a cross-validated student is the one train
	// would make; --seed deals the folds here (the lora seed stays 42).
	var flags []cli.Flag
	for _, fl := range trainCommand(e).Flags {
		// --plan and --gpu-memory are train's alone: cv trains several folds.
		if n := fl.Names()[0]; n != "seed" && n != "plan" && n != "gpu-memory" {
			flags = append(flags, fl)
		}
	}
	flags = append(flags,
		&cli.IntFlag{Name: "folds", Value: cv.DefaultFolds, Usage: "K: the folds the labeled articles are dealt into (3 or more)"},
		&cli.IntFlag{Name: "seed", Usage: "deals the folds", DefaultText: "filter.yaml's splits.seed"},
		&cli.IntFlag{Name: "predict-batch-size", Value: 32, Usage: "lora: batch size when predicting the held-out fold"},
	)
	return &cli.Command{
		Name:  "cv",
		Usage: "cross-validate a student: out-of-fold predictions and per-fold metrics (<filter>.predictions, <filter>.evaluations)",
		Description: `distill cv --filter DIR [--folds K] [--backend linear|lora|embed] [train's flags]
  deals every labeled article of the split (train, val and test alike) into K folds,
  stratified as split stratifies and never splitting a duplicate group. Each fold's
  model trains on the other folds but one, chooses its penalty (linear) or epoch
  (lora) on that one, and predicts the fold left out; fold models are not kept.
  The out-of-fold predictions go to <filter>.predictions under the run's model id
  (cv-...), with their fold; each fold's metrics, and their mean and spread over
  the folds, go to <filter>.evaluations (split fold1..foldK and cv).`,
		Flags: flags,
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			opts := cv.Options{Filter: f, Folds: c.Int("folds"), Seed: c.Int("seed"), Student: studentOptions(c, f),
				Predict: predict.Options{BatchSize: c.Int("predict-batch-size"), Device: c.String("device"), Python: c.String("python")}}
			if err := refFlags(c, f, refArg{"labels", &opts.Labels}, refArg{"splits", &opts.Splits}); err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			bar := progress.Start(e.stderr, "cv", false)
			opts.Progress = bar.Note
			res, err := cv.Run(c.Context, l, opts)
			bar.Done()
			if err != nil {
				return err
			}
			return e.printResult(c, res)
		},
	}
}

// studentOptions are the train flags of c as train.Options (without
// progress, which each command reports its own way).
func studentOptions(c *cli.Context, f *filters.Filter) train.Options {
	seed := 42
	if c.Command.Name == "train" {
		seed = c.Int("seed")
	}
	o := train.Options{Filter: f, Backend: c.String("backend"), Combine: c.String("combine"), SelectBy: c.String("select-by"), SampleWeight: c.String("sample-weight"),
		Linear: linear.Config{Bits: c.Uint("bits"), NGrams: c.Int("ngrams"), MinDF: c.Int("min-df"), Lambdas: c.Float64Slice("lambda"), MaxIter: c.Int("max-iter")},
		LoRA: train.LoRAOptions{Python: c.String("python"), BaseModel: c.String("base-model"), Epochs: c.Int("epochs"), LR: c.Float64("lr"),
			BatchSize: c.Int("batch-size"), MaxLength: c.Int("max-length"), R: c.Int("lora-r"), Alpha: c.Int("lora-alpha"),
			Dropout: new(c.Float64("lora-dropout")), Seed: seed, Device: c.String("device"),
			Quantize: c.String("quantize"), GradientCheckpointing: c.Bool("gradient-checkpointing"), GradAccum: c.Int("grad-accum")},
		EmbedModel: c.String("embed-model")}
	if c.Bool("no-calibrate") {
		o.Calibrate = new(bool)
	}
	return o
}
