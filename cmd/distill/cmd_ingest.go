package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/internal/progress"
	"github.com/urfave/cli/v2"
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
			if c.Bool("json") {
				return e.printJSON(res)
			}
			printIngest(e, res)
			return nil
		},
	}
}

func printIngest(e *env, r ingest.Result) {
	w := e.stdout
	snap := "no new snapshot"
	if r.RowsOut > 0 && r.Snapshot != nil {
		snap = fmt.Sprintf("corpus.raw@%d", r.Snapshot.Seq)
	}
	fmt.Fprintf(w, "ingest: %d records from %d files: %d new rows, %d rejected, %d duplicates (%d already in the lake) in %.1fs -> %s\n",
		r.RowsIn, r.Files, r.RowsOut, r.Rejected, r.Duplicates, r.AlreadyInLake, r.Seconds, snap)
	if r.RowsOut == 0 && r.RowsIn > 0 && r.AlreadyInLake > 0 {
		fmt.Fprintln(w, "  nothing new: every article is already in corpus.raw")
	}
	if r.IDConflicts > 0 {
		fmt.Fprintf(w, "  warning: %d duplicate ids carry different content; the first row was kept (see --map id=...)\n", r.IDConflicts)
	}
	if len(r.ByReason) > 0 {
		reasons := make([]string, 0, len(r.ByReason))
		for k, v := range r.ByReason {
			reasons = append(reasons, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(reasons)
		fmt.Fprintf(w, "  rejects: %s (in corpus.rejects)\n", strings.Join(reasons, ", "))
		for _, rj := range r.Rejects {
			fmt.Fprintf(w, "    %s:%d %s: %s\n", rj.File, rj.Line, rj.Reason, rj.Detail)
		}
	}
	if r.RejectsKnown > 0 {
		fmt.Fprintf(w, "  %d rejects were already recorded by an earlier run\n", r.RejectsKnown)
	}
	for _, f := range r.SkippedFolders {
		fmt.Fprintf(w, "  skipped folder %s\n", f)
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "  skipped %d files that are not articles: %s\n", len(r.Skipped), strings.Join(first(r.Skipped, 3), ", "))
	}
}

func first(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string{}, s[:n]...), "…")
}
