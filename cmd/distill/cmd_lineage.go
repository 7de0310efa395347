package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/inspect/lineage"
	"github.com/distillery/distillery/internal/human"
)

func lineageCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "lineage",
		Usage:     "follow one article through every table, with the snapshot that added each of its rows",
		ArgsUsage: "ID",
		Flags: []cli.Flag{lakeFlag, jsonFlag,
			&cli.StringFlag{Name: "filter", Usage: "filter package directory: only corpus and its namespace (default: every namespace)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("lineage takes one article ID, got %s", human.Plural(int64(c.NArg()), "argument"))
			}
			opts := lineage.Options{ID: c.Args().First()}
			if dir := c.String("filter"); dir != "" {
				opts.Namespace = filterNamespace(dir)
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := lineage.Run(c.Context, l, opts)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return e.printJSON(res)
			}
			writeLineage(e.stdout, res)
			return nil
		},
	}
}

func writeLineage(w io.Writer, r *lineage.Result) {
	fmt.Fprintf(w, "article %s\n", r.ID)
	for _, t := range r.Tables {
		fmt.Fprintf(w, "\n%s (read at @%d)\n", t.Table, t.Seq)
		if len(t.Rows) == 0 {
			fmt.Fprintln(w, "  (no row)")
			continue
		}
		for _, row := range t.Rows {
			added := "added by an unknown snapshot"
			if row.Seq > 0 {
				added = fmt.Sprintf("@%d snapshot %d", row.Seq, row.SnapshotID)
				if row.Stage != "" {
					added += " " + row.Stage
				}
				if row.Time != nil {
					added += " " + row.Time.Format("2006-01-02 15:04:05")
				}
			}
			fmt.Fprintf(w, "  %s  run %s\n", added, row.RunID)
			var parts []string
			for _, f := range row.Fields {
				parts = append(parts, f.Name+"="+lineageCell(f.Value))
			}
			fmt.Fprintf(w, "    %s\n", strings.Join(parts, "  "))
		}
	}
}

// lineageCell formats a value for one line of text: floats short, long strings cut.
func lineageCell(v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case time.Time:
		return v.UTC().Format("2006-01-02 15:04:05")
	case string:
		if v == "" {
			return `""`
		}
		if len([]rune(v)) > 80 { // a sha256 (64) stays whole
			return string([]rune(v)[:77]) + "…"
		}
		if strings.ContainsAny(v, " \t") {
			return strconv.Quote(v)
		}
		return v
	}
	return fmt.Sprint(v)
}
