package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/distillery/distillery/filters"
)

// AnyDimension stands for each of a filter's dimensions where a table is
// described without a filter: labels and predictions have one column per
// dimension, named after it.
const AnyDimension = "<dimension>"

// AnyFilter stands for a filter's namespace where a table is described
// without a filter.
const AnyFilter = "<filter>"

// anyFilter is the filter a table is described with when none is given: one
// dimension, AnyDimension, that says what it stands for.
var anyFilter = &filters.Filter{Dimensions: []filters.Dimension{{Name: AnyDimension,
	Description: "one such column per dimension of the filter, named after it"}}}

// ColumnDoc is one column as `distill describe` and docs/schema.md show it.
type ColumnDoc struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
	Key      bool   `json:"key"`
	Meaning  string `json:"meaning"`
	// Dimension is the filter dimension the column is named after, in a
	// table with one column per dimension (labels, predictions).
	Dimension string `json:"dimension,omitempty"`
}

// TableDoc is a table as `distill describe` and docs/schema.md show it:
// what a row is, the stage that writes it and what that stage reads, and
// every column with its meaning.
type TableDoc struct {
	// Table is ns.table, with AnyFilter as the namespace of a filter's
	// table described without one.
	Table string   `json:"table"`
	Doc   string   `json:"doc"`
	Key   []string `json:"key"`
	// WrittenBy is the writing stage's name; Command runs it.
	WrittenBy string `json:"written_by"`
	Command   string `json:"command"`
	// Reads are the tables the writing stage reads; ReadBy the stages that
	// read this table.
	Reads   []string    `json:"reads"`
	ReadBy  []string    `json:"read_by"`
	Columns []ColumnDoc `json:"columns"`
}

// DisplayName is the table's name for filter f, ns.table; with no filter, a
// filter's table is named AnyFilter.table.
func (t *Table) DisplayName(f *filters.Filter) string {
	if t.Kind == PerFilter && f == nil {
		return AnyFilter + "." + t.Name
	}
	return t.For(f).String()
}

// Columns is t's schema for filter f (nil: any filter, its dimension
// columns shown once as AnyDimension) with each column's meaning.
func (t *Table) Columns(f *filters.Filter) []ColumnDoc {
	if f == nil {
		f = anyFilter
	}
	var out []ColumnDoc
	for _, c := range t.Schema(f) {
		cd := ColumnDoc{Name: c.Name, Type: string(c.Type), Required: c.Required,
			Key: slices.Contains(t.Key, c.Name), Meaning: c.Doc}
		if t.perDimension {
			for _, d := range f.Dimensions {
				if c.Name == d.Name || c.Name == d.Name+"_evidence" {
					cd.Dimension = d.Name
				}
			}
		}
		out = append(out, cd)
	}
	return out
}

// Describe is t for filter f (nil: any filter).
func (t *Table) Describe(f *filters.Filter) TableDoc {
	d := TableDoc{Table: t.DisplayName(f), Doc: t.Doc, Key: t.Key, Reads: []string{}, ReadBy: []string{}, Columns: t.Columns(f)}
	if d.Key == nil {
		d.Key = []string{}
	}
	if w := WriterOf(t); w != nil {
		d.WrittenBy, d.Command = w.Name, w.Usage
		for _, r := range w.Reads {
			d.Reads = append(d.Reads, r.DisplayName(f))
		}
	}
	for _, s := range Stages {
		if slices.Contains(s.Reads, t) {
			d.ReadBy = append(d.ReadBy, s.Name)
		}
	}
	return d
}

// SchemaMarkdown is docs/schema.md: every table of Tables, described for
// any filter.
func SchemaMarkdown() string {
	var b strings.Builder
	b.WriteString(`# The lake's tables

<!-- Generated from spec/ (spec/tables.go, spec/schemas.go) by ` + "`go test ./spec -update`" + `: edit those, not this file. -->

Every table distill writes, in the order articles flow through them. ` + "`corpus.*`" + ` tables are shared by every
filter; ` + "`" + AnyFilter + ".*`" + ` tables live in each filter's own namespace (its name, e.g.
` + "`sustainability_tech_deployment.labels`" + `). A required column is never null; a writer keeps one row per key
(a table with no key records every call or run as new rows). ` + "`distill describe TABLE`" + ` prints the same, for
one table (with ` + "`--filter DIR`" + `, with the filter's own dimension columns).
`)
	for _, t := range Tables {
		d := t.Describe(nil)
		fmt.Fprintf(&b, "\n## `%s`\n\n%s. ", d.Table, mdEscape(upperFirst(d.Doc)))
		fmt.Fprintf(&b, "Written by %s", codeCommand(d.Command))
		if len(d.Reads) > 0 {
			fmt.Fprintf(&b, ", from %s", codeList(d.Reads))
		}
		b.WriteString(".")
		if len(d.ReadBy) > 0 {
			fmt.Fprintf(&b, " Read by %s.", strings.Join(d.ReadBy, ", "))
		}
		if len(d.Key) > 0 {
			fmt.Fprintf(&b, " Key: %s.", codeList(d.Key))
		} else {
			b.WriteString(" No key: every row is kept.")
		}
		b.WriteString("\n\n| column | type | | meaning |\n| --- | --- | --- | --- |\n")
		for _, c := range d.Columns {
			fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", c.Name, c.Type, c.Flags(), mdEscape(c.Meaning))
		}
	}
	return b.String()
}

// Flags is "required, key", "required", "key" or "" for the column.
func (c ColumnDoc) Flags() string {
	var f []string
	if c.Required {
		f = append(f, "required")
	}
	if c.Key {
		f = append(f, "key")
	}
	return strings.Join(f, ", ")
}

// mdEscape escapes what Markdown would read as a tag (<filter>), a table
// cell's end (|) or emphasis (*, and _ at a word's start: _tiers).
func mdEscape(s string) string {
	var b strings.Builder
	for i, r := range s {
		wordStart := i == 0 || !isWordByte(s[i-1])
		if r == '<' || r == '>' || r == '|' || r == '*' || r == '\\' || (r == '_' && wordStart) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// codeCommand puts a stage's usage in backticks, up to the remark in
// parentheses that some carry (which may hold backticks of its own).
func codeCommand(usage string) string {
	cmd, rest, ok := strings.Cut(usage, " (")
	if !ok {
		return "`" + usage + "`"
	}
	return "`" + cmd + "` (" + rest
}

func codeList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
