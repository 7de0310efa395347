package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/inspect/diff"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
)

func diffCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "diff",
		Usage: "compare two snapshots of a table: rows added, removed, changed; for labels, mean shifts and tier moves",
		Description: `distill diff TABLE@A TABLE@B    compares snapshot A with snapshot B
distill diff TABLE@A            compares A with the current snapshot
distill diff TABLE              compares the snapshot before the current one with the current one
distill diff TABLE@A @B         B of the same table

Rows are matched by id (oracle_calls by cache_key; --key to choose). Columns both
snapshots have are compared, except run_id and *_at timestamps. A key with several
rows (labels: one per relabel) is unchanged only if its rows are the same at A and B.`,
		ArgsUsage: "TABLE[@A] [TABLE[@B]]",
		Flags: []cli.Flag{lakeFlag, jsonFlag,
			&cli.StringFlag{Name: "filter", Usage: "filter package directory: bare table names resolve in its namespace"},
			&cli.StringFlag{Name: "key", Usage: "column to match rows by (default: id; cache_key for oracle_calls)"},
			&cli.IntFlag{Name: "examples", Value: diff.DefaultExamples, Usage: "keys listed per status (0: none)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 || c.NArg() > 2 {
				return fmt.Errorf("diff takes TABLE[@A] and an optional TABLE[@B], got %s", human.Plural(int64(c.NArg()), "argument"))
			}
			ns := ""
			if dir := c.String("filter"); dir != "" {
				ns = filterNamespace(dir)
			}
			opts := diff.Options{Key: c.String("key"), Examples: c.Int("examples")}
			var err error
			if opts.A, err = lake.ParseRef(c.Args().Get(0), ns); err != nil {
				return err
			}
			if c.NArg() == 2 {
				b := c.Args().Get(1)
				if strings.HasPrefix(b, "@") {
					b = opts.A.TableName.String() + b
				}
				if opts.B, err = lake.ParseRef(b, ns); err != nil {
					return err
				}
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := diff.Run(c.Context, l, opts)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return e.printJSON(res)
			}
			return writeDiff(e.stdout, res)
		},
	}
}

// diffShort names a side in the lines after the header: @N, or table@N when
// the two sides are different tables.
func diffShort(s, other diff.Side) string {
	if s.Table == other.Table {
		return fmt.Sprintf("@%d", s.Seq)
	}
	return s.String()
}

func diffLong(s diff.Side) string {
	if s.Seq == 0 {
		return s.String() + " (empty: before the first snapshot)"
	}
	return fmt.Sprintf("%s (snapshot %d, %s)", s, s.SnapshotID, human.Plural(int64(s.Rows), "row"))
}

func writeDiff(w io.Writer, r *diff.Result) error {
	a, b := diffShort(r.A, r.B), diffShort(r.B, r.A)
	fmt.Fprintf(w, "%s -> %s, rows matched by %s\n", diffLong(r.A), diffLong(r.B), r.Key)
	fmt.Fprintf(w, "columns: %d compared", len(r.Compared))
	if len(r.Ignored) > 0 {
		fmt.Fprintf(w, ", %s ignored", strings.Join(r.Ignored, ", "))
	}
	if len(r.ColumnsAdded) > 0 {
		fmt.Fprintf(w, "; new at %s (not compared): %s", b, strings.Join(r.ColumnsAdded, ", "))
	}
	if len(r.ColumnsRemoved) > 0 {
		fmt.Fprintf(w, "; gone at %s (not compared): %s", b, strings.Join(r.ColumnsRemoved, ", "))
	}
	fmt.Fprintln(w)

	statuses := []struct {
		name string
		n    int64
	}{{"added", r.Added}, {"removed", r.Removed}, {"changed", r.Changed}, {"unchanged", r.Unchanged}}
	width := 1
	for _, s := range statuses {
		width = max(width, len(strconv.FormatInt(s.n, 10)))
	}
	fmt.Fprintf(w, "\n%ss\n", r.Key)
	for _, s := range statuses {
		line := fmt.Sprintf("  %-9s  %*d", s.name, width, s.n)
		if ex := r.Examples[s.name]; len(ex) > 0 {
			line += "  " + strings.Join(ex, ", ")
			if int64(len(ex)) < s.n {
				line += ", …"
			}
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "rows: %d at %s, %d at %s; %d only at %s, %d only at %s", r.A.Rows, a, r.B.Rows, b, r.RowsOnlyA, a, r.RowsOnlyB, b)
	if !r.KeyUnique {
		fmt.Fprintf(w, " (%s is not unique: a key is unchanged only if all its rows are)", r.Key)
	}
	fmt.Fprintln(w)
	if len(r.ChangedColumns) > 0 {
		fmt.Fprintf(w, "\nchanged columns (%ss with one row at each side)\n", r.Key)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, c := range r.ChangedColumns {
			fmt.Fprintf(tw, "  %s\t%d\n", c.Column, c.Keys)
		}
		tw.Flush()
	}
	if r.Labels != nil {
		writeLabelsDiff(w, r.Labels, a, b)
	}
	return nil
}

func diffNum(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', 3, 64)
}

func diffSigned(v *float64) string {
	if v == nil {
		return "-"
	}
	return human.Signed(*v, 3)
}

func writeLabelsDiff(w io.Writer, d *diff.LabelsDiff, a, b string) {
	fmt.Fprintf(w, "\nmean scores: all rows | the %s labeled at both (latest label each)\n", human.Plural(int64(d.CommonIDs), "id"))
	width := len("DIMENSION")
	for _, m := range d.Means {
		width = max(width, len(m.Dimension))
	}
	// Right-aligned numbers; names padded to one width so they read left-aligned.
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tROWS %s\tMEAN %s\tROWS %s\tMEAN %s\tSHIFT\t|\tMEAN %s\tMEAN %s\tSHIFT\t\n", width, "DIMENSION", a, a, b, b, a, b)
	for _, m := range d.Means {
		fmt.Fprintf(tw, "%-*s\t%d\t%s\t%d\t%s\t%s\t|\t%s\t%s\t%s\t\n", width, m.Dimension, m.RowsA, diffNum(m.MeanA), m.RowsB, diffNum(m.MeanB),
			diffSigned(m.Shift), diffNum(m.CommonMeanA), diffNum(m.CommonMeanB), diffSigned(m.CommonShift))
	}
	tw.Flush()
	if len(d.Transitions) == 0 {
		fmt.Fprintln(w, "\ntier transitions: no id is labeled at both snapshots")
		return
	}
	fmt.Fprintf(w, "\ntier transitions of the %s labeled at both (rows: tier at %s, columns: tier at %s)\n", human.Plural(int64(d.CommonIDs), "id"), a, b)
	corner := a + " \\ " + b
	width = len(corner)
	for _, t := range d.Tiers {
		width = max(width, len(diff.TierName(t)))
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\t", width, corner)
	for _, t := range d.Tiers {
		fmt.Fprintf(tw, "%s\t", diff.TierName(t))
	}
	fmt.Fprintln(tw)
	for _, from := range d.Tiers {
		fmt.Fprintf(tw, "%-*s\t", width, diff.TierName(from))
		for _, to := range d.Tiers {
			fmt.Fprintf(tw, "%d\t", d.Count(from, to))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}
