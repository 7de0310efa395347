package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/label"
)

func labelImportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "import labels made elsewhere, or a person's judgments (JSONL with an analysis object per article)",
		ArgsUsage: "FILE...",
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "key", Usage: "the analysis object's name in each record; a dotted path (a.b) reaches a nested one", DefaultText: "<filter>_analysis"},
			&cli.StringSliceFlag{Name: "dim", Usage: "a dimension's score from a dotted path inside the analysis: PATH (its last segment names the dimension) or NAME=PATH (repeatable)"},
			&cli.StringFlag{Name: "oracle", Value: "import", Usage: "the labels' oracle column (a person's judgments: human)"},
			&cli.StringFlag{Name: "model", Usage: "the labels' model column (a reviewer's name)", DefaultText: "each record's analyzed_by, else unknown"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return fmt.Errorf("label import takes one or more JSONL files")
			}
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			opts := label.ImportOptions{Filter: f, Paths: c.Args().Slice(), Key: c.String("key"), Dims: c.StringSlice("dim"),
				Oracle: c.String("oracle"), Model: c.String("model")}
			// Bad options are refused before the lake is opened.
			if err := opts.Validate(); err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			// A fully rejected import is an error (exit 1), printed with its rejects.
			res, err := label.ImportWith(c.Context, l, opts)
			if err != nil && !errors.Is(err, label.ErrAllRejected) {
				return err
			}
			if perr := e.printResult(c, res); perr != nil {
				return perr
			}
			return err
		},
	}
}
