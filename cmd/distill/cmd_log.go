package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/distillery/distillery/inspect/runlog"
	"github.com/distillery/distillery/lake"
	"github.com/urfave/cli/v2"
)

func logCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "log",
		Usage: "list every run in time order: stage, inputs, output snapshot, rows added, cost, params, command",
		Flags: []cli.Flag{lakeFlag, jsonFlag,
			&cli.StringFlag{Name: "table", Usage: "only runs that wrote this table (ns.table)"},
			&cli.IntFlag{Name: "limit", Usage: "only the N most recent entries (0: all)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("log takes no arguments (use --table ns.table)")
			}
			opts := runlog.Options{Limit: c.Int("limit")}
			if t := c.String("table"); t != "" {
				n, err := lake.ParseTableName(t, "")
				if err != nil {
					return err
				}
				opts.Table = n
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := runlog.Run(c.Context, l, opts)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return e.printJSON(res)
			}
			return writeLog(e.stdout, res)
		},
	}
}

func writeLog(w io.Writer, r *runlog.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tSTAGE\tRUN\tINPUTS\tOUTPUT\tOP\tADDED\tCOST\tPARAMS\tCOMMAND")
	for _, e := range r.Entries {
		inputs, cost := strings.Join(e.ShortInputs(), ","), "-"
		if inputs == "" {
			inputs = "-"
		}
		if e.CostUSD != nil {
			cost = fmt.Sprintf("$%.4f", *e.CostUSD)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", e.Time.Format("2006-01-02 15:04:05"), logDash(e.Stage), logDash(e.RunID),
			inputs, e.Output(), e.Operation, e.RowsAdded, cost, logDash(e.Params), logDash(e.Command))
	}
	if len(r.Entries) == 0 {
		fmt.Fprintln(tw, "(no runs yet)")
	}
	return tw.Flush()
}

func logDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
