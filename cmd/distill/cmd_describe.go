package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/suggest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// described is a table as describe prints it: its registry entry, and what
// the lake holds of it.
type described struct {
	spec.TableDoc
	// InLake lists the lake's tables of this kind with their current
	// snapshot: one, or for a filter's table described without --filter,
	// one per filter namespace that has it.
	InLake []inLake `json:"in_lake"`
	// NotCreated says what makes the table when the lake has none yet.
	NotCreated string `json:"not_created,omitempty"`
}

type inLake struct {
	Table    string `json:"table"`
	Sequence int64  `json:"sequence"`
	Rows     int64  `json:"rows"`
}

func describeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "describe",
		Usage:     "what a table's columns mean, which stage writes it and from what (no TABLE: every table)",
		ArgsUsage: "[TABLE ...]",
		Description: "TABLE is ns.table (corpus.raw) or a table's short name (raw, labels); with --filter DIR a\n" +
			"filter's tables show its own dimension columns. It reads the registry, not the lake: a table\n" +
			"not created yet is described too, with the command that creates it. Every table: docs/schema.md.",
		Flags: []cli.Flag{lakeFlag, jsonFlag, optionalFilterFlag},
		Action: func(c *cli.Context) error {
			var f *filters.Filter
			if dir := c.String("filter"); dir != "" {
				var err error
				if f, err = filters.Load(dir); err != nil {
					return err
				}
			}
			tables := spec.Tables
			if c.NArg() > 0 {
				tables = nil
				for _, a := range c.Args().Slice() {
					t, err := describedTable(a, f)
					if err != nil {
						return err
					}
					tables = append(tables, t)
				}
			}
			existing, err := e.lakeTables(c)
			if err != nil {
				return err
			}
			out := make([]described, len(tables))
			for i, t := range tables {
				out[i] = describe(t, f, existing)
			}
			switch {
			case c.Bool("json") && c.NArg() == 1:
				return e.printJSON(out[0])
			case c.Bool("json"):
				return e.printJSON(out)
			case c.NArg() == 0:
				return writeTableList(e.stdout, out, f == nil)
			}
			for i, d := range out {
				if i > 0 {
					fmt.Fprintln(e.stdout)
				}
				if err := writeDescribed(e.stdout, d, f == nil); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// describedTable is the registry's table named arg: ns.table or a short
// name; a namespace other than corpus must be the --filter's when one is
// given.
func describedTable(arg string, f *filters.Filter) (*spec.Table, error) {
	ns, name, qualified := strings.Cut(arg, ".")
	if !qualified {
		ns, name = "", arg
	}
	t := spec.TableNamed(name)
	if t == nil {
		var names []string
		for _, t := range spec.Tables {
			names = append(names, t.Name)
		}
		return nil, fmt.Errorf("describe: no table %q%s: distill writes %s", arg, suggest.Phrase(name, names), suggest.Or(names))
	}
	switch {
	case !qualified:
	case t.Kind == spec.Corpus && ns != spec.CorpusNamespace:
		return nil, fmt.Errorf("describe: %s is a corpus table: %s", name, t.In(""))
	case t.Kind == spec.PerFilter && ns == spec.CorpusNamespace:
		return nil, fmt.Errorf("describe: %s is a filter's table, not a corpus one: give its short name %s (with --filter DIR for the filter's own columns)", name, name)
	case t.Kind == spec.PerFilter && f != nil && ns != f.Namespace():
		return nil, fmt.Errorf("describe: %s is not a table of --filter %s (its namespace is %s)", arg, f.Name, f.Namespace())
	}
	return t, nil
}

// lakeTables is the lake's tables by name, or none when there is no lake
// yet: describe works from the registry alone.
func (e *env) lakeTables(c *cli.Context) (map[lake.TableName]lake.TableInfo, error) {
	l, err := e.openLake(c)
	if errors.Is(err, lake.ErrNoLake) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer l.Close()
	infos, err := l.Tables(c.Context)
	if err != nil {
		return nil, err
	}
	out := make(map[lake.TableName]lake.TableInfo, len(infos))
	for _, ti := range infos {
		out[ti.Name] = ti
	}
	return out, nil
}

func describe(t *spec.Table, f *filters.Filter, existing map[lake.TableName]lake.TableInfo) described {
	d := described{TableDoc: t.Describe(f), InLake: []inLake{}}
	for n, ti := range existing {
		if n.Table != t.Name || (t.Kind == spec.Corpus) != (n.Namespace == spec.CorpusNamespace) {
			continue
		}
		if t.Kind == spec.PerFilter && f != nil && n.Namespace != f.Namespace() {
			continue
		}
		il := inLake{Table: n.String(), Rows: ti.Rows}
		if ti.Current != nil {
			il.Sequence = ti.Current.Seq
		}
		d.InLake = append(d.InLake, il)
	}
	if len(d.InLake) == 0 {
		d.NotCreated = "run " + d.Command
	}
	// The map's order is random; a listing is not.
	slices.SortFunc(d.InLake, func(a, b inLake) int { return strings.Compare(a.Table, b.Table) })
	return d
}

// lakeState is what the lake holds of d in a few words.
func (d described) lakeState() string {
	if d.NotCreated != "" {
		return "not created yet: " + d.NotCreated
	}
	parts := make([]string, len(d.InLake))
	for i, il := range d.InLake {
		parts[i] = fmt.Sprintf("%s@%d, %s", il.Table, il.Sequence, human.Plural(il.Rows, "row"))
	}
	return strings.Join(parts, "; ")
}

func writeTableList(w io.Writer, ds []described, anyFilter bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tWRITTEN BY\tIN THE LAKE\tA ROW IS")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Table, d.WrittenBy, d.lakeState(), d.Doc)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\ndistill describe TABLE lists its columns and what they mean.")
	if anyFilter {
		fmt.Fprintf(w, "%s is a filter's namespace: --filter DIR names it.\n", spec.AnyFilter)
	}
	return nil
}

func writeDescribed(w io.Writer, d described, anyFilter bool) error {
	fmt.Fprintf(w, "%s: %s\n", d.Table, d.Doc)
	from := "files (no table)"
	if len(d.Reads) > 0 {
		from = strings.Join(d.Reads, ", ")
	}
	readBy := "no stage"
	if len(d.ReadBy) > 0 {
		readBy = strings.Join(d.ReadBy, ", ")
	}
	key := "none (every row is kept)"
	if len(d.Key) > 0 {
		key = strings.Join(d.Key, ", ")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  written by:\t%s\n  from:\t%s\n  read by:\t%s\n  key:\t%s\n  in the lake:\t%s\n",
		d.Command, from, readBy, key, d.lakeState())
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tTYPE\tREQUIRED\tKEY\tMEANING")
	dims := false
	for _, c := range d.Columns {
		req, key := "optional", ""
		if c.Required {
			req = "required"
		}
		if c.Key {
			key = "key"
		}
		dims = dims || c.Dimension != ""
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Type, req, key, c.Meaning)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if dims && anyFilter {
		fmt.Fprintf(w, "\n%s stands for each of the filter's dimensions: --filter DIR lists them.\n", spec.AnyDimension)
	}
	return nil
}
