package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/progress"
)

func ingestCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "ingest",
		Usage:     "load JSONL(.gz), JSON arrays, CSV, Parquet or folders of .txt into corpus.raw",
		ArgsUsage: "PATH...",
		Flags: []cli.Flag{
			lakeFlag, jsonFlag,
			&cli.StringFlag{Name: "source", Usage: "dataset name for every row (default: each input's base name)"},
			&cli.StringFlag{Name: "map", Usage: "field overrides, e.g. content=body_text,title=headline (fields: " + strings.Join(ingest.CanonicalFields(), ", ") + ")"},
			&cli.BoolFlag{Name: "strict", Usage: "fail, committing nothing, if any record is rejected"},
			&cli.IntFlag{Name: "max-record-bytes", Value: ingest.DefaultMaxRecordBytes, Usage: "reject records larger than this"},
		},
		Action: func(c *cli.Context) error {
			m, err := ingest.ParseMap(c.String("map"))
			if err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			bar := progress.Start(e.stderr, "ingest", true)
			res, err := ingest.Run(c.Context, l, ingest.Options{
				Paths: c.Args().Slice(), Source: c.String("source"), Map: m, Strict: c.Bool("strict"),
				MaxRecordBytes: c.Int("max-record-bytes"), Progress: bar.Set,
				Waiting: func() { fmt.Fprintln(e.stderr, "ingest: waiting for another ingest into this lake to finish") },
			})
			bar.Done()
			if err != nil {
				return err
			}
			return e.printResult(c, res)
		},
	}
}
