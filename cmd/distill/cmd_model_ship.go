package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/gate"
	"github.com/distillery/distillery/students/bundle"
)

// optionalFilter is --filter where a model is found by id in any filter.
var optionalFilter = &cli.StringFlag{Name: "filter", Usage: "the filter package whose models table to look in (default: every filter's); " +
	"for a model trained before packages were stored with models, the package to export (its sha256 must be the model's)"}

// loadOptionalFilter is --filter's package, or nil.
func loadOptionalFilter(c *cli.Context) (*filters.Filter, error) {
	if c.String("filter") == "" {
		return nil, nil
	}
	return filters.Load(c.String("filter"))
}

func modelExportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a model's self-contained folder: weights, calibration, filter package, manifest with every sha256, predict.py",
		ArgsUsage: "MODEL -o DIR",
		Flags: []cli.Flag{lakeFlag, jsonFlag, optionalFilter,
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "the folder to write (absent or empty)", Required: true},
			&cli.BoolFlag{Name: "force", Usage: "replace a folder that holds files"},
			&cli.BoolFlag{Name: "merged", Usage: "lora: also write weights/merged/, the adapter folded into the base's weights (a plain transformers folder for serving stacks; predict.py then needs no base model or peft)"},
			&cli.StringFlag{Name: "python", Usage: "lora, with --merged: the trainer's Python (default: $DISTILL_PYTHON, else the one it was trained with)"},
			&cli.StringFlag{Name: "device", Usage: "lora, with --merged: where the merge runs: cpu (default; no GPU needed) or cuda"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("model export takes one MODEL, e.g. distill model export linear-20261126-183000-3fa2 -o exported/")
			}
			f, err := loadOptionalFilter(c)
			if err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := bundle.Export(c.Context, l, bundle.ExportOptions{Model: c.Args().First(), Filter: f, Dir: c.String("out"), Force: c.Bool("force"),
				Merged: c.Bool("merged"), Python: c.String("python"), MergeDevice: c.String("device")})
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return e.printJSON(res)
			}
			m := res.Manifest
			fmt.Fprintf(e.stdout, "export: %s (%s) of %s/v%d -> %s (%s, %s)\n", m.Model.ID, m.Model.Backend, m.Filter.Name, m.Filter.Version,
				res.Dir, human.Plural(int64(len(m.Files)+1), "file"), sizeOf(res.Bytes))
			fmt.Fprintf(e.stdout, "  check it: distill model verify %s\n  use it:   python %s %s < articles.jsonl\n", res.Dir, filepath.Join(res.Dir, bundle.PredictFile), res.Dir)
			return nil
		},
	}
}

func modelVerifyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name: "verify",
		Usage: "check an exported folder: every file against its manifest, then that distill, loading only the folder, " +
			"predicts what the lake recorded for a sample of articles",
		ArgsUsage: "DIR",
		Flags: []cli.Flag{lakeFlag, jsonFlag,
			&cli.IntFlag{Name: "sample", Value: 200, Usage: "articles to predict again"},
			&cli.IntFlag{Name: "seed", Value: 1, Usage: "picks the sample"},
			&cli.StringFlag{Name: "python", Usage: "lora: the trainer's Python (default: $DISTILL_PYTHON, else the one it was trained with)"},
			&cli.StringFlag{Name: "device", Usage: "lora: auto, cpu or cuda (a model trained with --quantize needs CUDA, or cpu said here)"},
			&cli.Float64Flag{Name: "tolerance", Usage: "the largest difference allowed", DefaultText: "the model's: 1e-6 linear and embed, 1e-4 lora, 0.15 lora trained in bf16"},
			&cli.BoolFlag{Name: "files-only", Usage: "check the hashes only, not the predictions (no lake needed)"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("model verify takes one DIR, the folder distill model export wrote")
			}
			var l *lake.Lake
			if !c.Bool("files-only") {
				var err error
				if l, err = e.openLake(c); err != nil {
					return err
				}
				defer l.Close()
			}
			res, err := bundle.Verify(c.Context, c.Args().First(), l, bundle.VerifyOptions{Sample: c.Int("sample"), Seed: c.Int("seed"), Python: c.String("python"), Device: c.String("device"), Tolerance: c.Float64("tolerance")})
			if res != nil {
				if c.Bool("json") {
					if perr := e.printJSON(res); perr != nil {
						return perr
					}
				} else {
					printVerify(e, res)
				}
			}
			return err
		},
	}
}

func printVerify(e *env, r *bundle.VerifyResult) {
	verdict := "ok"
	if !r.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(e.stdout, "verify %s: %s (model %s)\n", r.Dir, verdict, r.Model)
	fmt.Fprintf(e.stdout, "  files: %d listed, %d wrong\n", r.Files, len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintf(e.stdout, "    %s\n", p.Error())
	}
	if r.Checked > 0 {
		fmt.Fprintf(e.stdout, "  predictions: %s predicted again, %d values off by more than %g (largest difference %.3g)\n",
			human.Plural(int64(r.Checked), "article"), r.Mismatches, r.Tolerance, r.MaxDiff)
		for _, m := range r.Shown {
			fmt.Fprintf(e.stdout, "    %s %s: lake %v, folder %v\n", m.ID, m.Field, m.Lake, m.Folder)
		}
	}
}

func modelDescribeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "describe",
		Usage:     "a model's row, tags, calibration, latest evaluations and gate run, and files",
		ArgsUsage: "MODEL (an id; latest with --filter)",
		Flags:     []cli.Flag{lakeFlag, jsonFlag, optionalFilter},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("model describe takes one MODEL")
			}
			f, err := loadOptionalFilter(c)
			if err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			d, err := bundle.Describe(c.Context, l, f, c.Args().First(), modelTags)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return e.printJSON(d)
			}
			printDescription(e, d)
			return nil
		},
	}
}

// modelTags is the tags naming model now, from gate's model list.
func modelTags(ctx context.Context, l *lake.Lake, f *filters.Filter, model string) ([]string, error) {
	rows, err := gate.Models(ctx, l, f)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.ID == model {
			return r.Tags, nil
		}
	}
	return []string{}, nil
}

func printDescription(e *env, d *bundle.Description) {
	m := d.Model
	w := e.stdout
	fmt.Fprintf(w, "model %s (%s)\n", m.ID, m.Backend)
	if m.BaseModel != "" {
		fmt.Fprintf(w, "  base model:  %s\n", m.BaseModel)
	}
	fmt.Fprintf(w, "  trained at:  %s on %d train / %d val articles\n", m.TrainedAt, m.TrainRows, m.ValRows)
	fmt.Fprintf(w, "  val MAE:     %.3f (training mean %.3f)\n", m.ValMAE, m.BaselineValMAE)
	fmt.Fprintf(w, "  dimensions:  %s\n", strings.Join(m.Dimensions, ", "))
	cal := "none"
	if m.Calibration != "" {
		cal = m.Calibration
		if m.CalibratedValMAE != nil {
			cal += fmt.Sprintf(" (calibrated val MAE %.3f, in-sample)", *m.CalibratedValMAE)
		}
	}
	fmt.Fprintf(w, "  calibration: %s\n", cal)
	tags := "none"
	if len(d.Tags) > 0 {
		tags = strings.Join(d.Tags, ", ")
	}
	fmt.Fprintf(w, "  tags:        %s\n  params:      %s\n", tags, string(m.Params))
	if len(d.Evaluations) == 0 {
		fmt.Fprintln(w, "evaluations: none yet (distill eval --filter DIR --model "+m.ID+")")
	} else {
		lines := []string{"SPLIT\tDIMENSION\tCALIBRATED\tN\tMAE\tSPEARMAN\tEVALUATED AT"}
		for _, r := range d.Evaluations {
			lines = append(lines, fmt.Sprintf("%s\t%s\t%v\t%d\t%s\t%s\t%s", r.Split, r.Dimension, r.Calibrated, r.N, num(r.MAE), num(r.Spearman), r.EvaluatedAt.UTC().Format("2006-01-02 15:04:05")))
		}
		fmt.Fprintln(w, "evaluations (the latest run per split):")
		fmt.Fprintln(w, indent(lines))
	}
	if len(d.Gates) == 0 {
		fmt.Fprintln(w, "gates: none as candidate")
	} else {
		lines := []string{"AGAINST\tMETRIC\tCANDIDATE\tAGAINST\tDIFFERENCE\tREGRESSION\tVERDICT"}
		for _, g := range d.Gates {
			lines = append(lines, fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%v\t%s", g.Against, g.Metric, num(g.Candidate), num(g.Other), num(g.Difference), g.Regression, g.Verdict))
		}
		fmt.Fprintln(w, "gate (the newest run as candidate):")
		fmt.Fprintln(w, indent(lines))
	}
	fmt.Fprintf(w, "files (%s):\n", d.Artifact)
	for _, f := range d.Files {
		fmt.Fprintf(w, "  %s  %s  %s\n", f.SHA256[:12], sizeOf(f.Size), f.Path)
	}
}

func indent(rows []string) string {
	cols := spec.Columns(rows...)
	for i := range cols {
		cols[i] = "  " + cols[i]
	}
	return strings.Join(cols, "\n")
}

// sizeOf is a byte count in the largest unit that keeps it at least 1.
func sizeOf(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
