package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/inspect/runlog"
	"github.com/distillery/distillery/lake"
)

type snapshotJSON struct {
	Table     string    `json:"table"`
	Seq       int64     `json:"sequence"`
	ID        int64     `json:"snapshot_id"`
	Time      time.Time `json:"time"`
	Operation string    `json:"operation"`
	AddedRows int64     `json:"rows_added"`
	TotalRows int64     `json:"total_rows"`
	Stage     string    `json:"stage,omitempty"`
	RunID     string    `json:"run_id,omitempty"`
	Command   string    `json:"command,omitempty"`
	Inputs    string    `json:"inputs,omitempty"`
	Filter    string    `json:"filter,omitempty"`
	// Params is the snapshot's distill.params as JSON (an object), not a
	// string of JSON a script would have to decode again.
	Params  any      `json:"params,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	Current bool     `json:"current"`
}

func snapshotsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "snapshots",
		Usage:     "list the snapshots of a table (or of every table)",
		ArgsUsage: "[TABLE]",
		Flags:     []cli.Flag{lakeFlag, jsonFlag},
		Action: func(c *cli.Context) error {
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			var names []lake.TableName
			if c.NArg() > 0 {
				n, err := lake.ParseTableName(c.Args().First(), "")
				if err != nil {
					return err
				}
				names = append(names, n)
			} else {
				tables, err := l.Tables(c.Context)
				if err != nil {
					return err
				}
				for _, t := range tables {
					names = append(names, t.Name)
				}
			}
			var all []snapshotJSON
			for _, n := range names {
				snaps, err := l.Snapshots(c.Context, n)
				if err != nil {
					return err
				}
				for _, s := range snaps {
					all = append(all, snapshotJSON{n.String(), s.Seq, s.ID, s.Time, s.Operation, s.AddedRows, s.TotalRows,
						s.Stage, s.RunID, s.Command, s.Inputs, s.Filter, runlog.DecodeParams(s.Params), s.Tags, s.Current})
				}
			}
			if c.Bool("json") {
				if all == nil {
					all = []snapshotJSON{}
				}
				return e.printJSON(all)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TABLE\tSEQ\tSNAPSHOT ID\tTIME (UTC)\tOP\tADDED\tTOTAL\tRUN\tTAGS\tCOMMAND")
			for _, s := range all {
				mark := ""
				if s.Current {
					mark = " *"
				}
				fmt.Fprintf(tw, "%s\t%d%s\t%d\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", s.Table, s.Seq, mark, s.ID,
					s.Time.Format("2006-01-02 15:04:05"), s.Operation, s.AddedRows, s.TotalRows, s.RunID,
					strings.Join(s.Tags, ","), s.Command)
			}
			if len(all) == 0 {
				fmt.Fprintln(tw, "(no snapshots yet)")
			}
			return tw.Flush()
		},
	}
}

func tablesCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "tables",
		Usage: "list the lake's tables with row counts",
		Flags: []cli.Flag{lakeFlag, jsonFlag},
		Action: func(c *cli.Context) error {
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			tables, err := l.Tables(c.Context)
			if err != nil {
				return err
			}
			type tableJSON struct {
				Table     string     `json:"table"`
				Rows      int64      `json:"rows"`
				Snapshots int        `json:"snapshots"`
				Sequence  int64      `json:"current_sequence"`
				Updated   *time.Time `json:"updated,omitempty"`
			}
			out := []tableJSON{}
			for _, t := range tables {
				tj := tableJSON{Table: t.Name.String(), Rows: t.Rows, Snapshots: t.Snapshots}
				if t.Current != nil {
					tj.Sequence, tj.Updated = t.Current.Seq, &t.Current.Time
				}
				out = append(out, tj)
			}
			if c.Bool("json") {
				return e.printJSON(out)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TABLE\tROWS\tSNAPSHOTS\tCURRENT\tUPDATED (UTC)")
			for _, t := range out {
				upd, cur := "-", "-"
				if t.Updated != nil {
					upd, cur = t.Updated.Format("2006-01-02 15:04:05"), fmt.Sprintf("@%d", t.Sequence)
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", t.Table, t.Rows, t.Snapshots, cur, upd)
			}
			return tw.Flush()
		},
	}
}

func tagCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "tag",
		Usage:     "name a snapshot: distill tag NAME ns.table[@N]",
		ArgsUsage: "NAME TABLE[@N]",
		Flags:     []cli.Flag{lakeFlag, &cli.BoolFlag{Name: "force", Usage: "move the tag if it exists"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return fmt.Errorf("tag takes NAME and TABLE[@N]")
			}
			ref, err := lake.ParseRef(c.Args().Get(1), "")
			if err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			s, err := l.Tag(c.Context, c.Args().Get(0), ref, c.Bool("force"))
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "tagged %s@%d (snapshot %d) as %q: query it as \"%s@%s\"\n", s.Table, s.Seq, s.ID, c.Args().Get(0), s.Table, c.Args().Get(0))
			return nil
		},
	}
}
