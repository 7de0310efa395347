package runlog

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/distillery/distillery/spec"
)

// Width is the line length `distill log` keeps to unless asked for every
// character (--wide): a run's line on one terminal line, not three.
const Width = 160

// The caps of the columns that are long only now and then; params and the
// command line share whatever the line has left.
const (
	inputsCap = 36
	outputCap = 48
)

var logHeader = []string{"TIME (UTC)", "STAGE", "RUN", "INPUTS", "OUTPUT", "OP", "ADDED", "COST", "PARAMS", "COMMAND"}

// Column indexes of logHeader that Write shortens.
const (
	colRun = iota + 2
	colInputs
	colOutput
	colParams = 8
	colCmd    = 9
)

// Write prints the log as aligned columns, one line per entry. With width
// > 0 each line keeps within width characters: the run id is its random
// part, a lake of one filter leaves its namespace out of table names (and
// says so under the table), and long cells end in "…" (params, inputs) or
// lose their middle (command line, output). width 0 prints every cell whole.
func (r *Result) Write(w io.Writer, width int) error {
	rows := [][]string{logHeader}
	ns := ""
	if width > 0 {
		ns = r.filterNamespace()
	}
	for _, e := range r.Entries {
		rows = append(rows, e.cells(width > 0, ns))
	}
	if width > 0 {
		fit(rows, width)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, row := range rows {
		fmt.Fprintln(tw, strings.TrimRight(strings.Join(row, "\t"), "\t"))
	}
	if len(r.Entries) == 0 {
		fmt.Fprintln(tw, "(no runs yet)")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if ns != "" {
		_, err := fmt.Fprintf(w, "(tables with no namespace are %s's; --wide prints every name and cell whole)\n", ns)
		return err
	}
	return nil
}

// filterNamespace is the one namespace other than the corpus's that the
// log's entries wrote, or "" when there are several (or none): the common
// lake of one filter need not spell its name on every line.
func (r *Result) filterNamespace() string {
	ns := ""
	for _, e := range r.Entries {
		n, _, _ := strings.Cut(e.Table, ".")
		switch {
		case n == spec.CorpusNamespace || n == ns:
		case ns == "":
			ns = n
		default:
			return ""
		}
	}
	return ns
}

// cells is the entry's row; short drops what the other columns already say,
// and the namespace ns (when not "") from table names.
func (e Entry) cells(short bool, ns string) []string {
	inputs, output := e.ShortInputs(), e.Output()
	run := e.RunID
	if short {
		// A run id is its start time, which TIME shows, then a random part.
		if i := strings.LastIndexByte(run, '-'); i >= 0 {
			run = run[i+1:]
		}
	}
	if ns != "" {
		for i, in := range inputs {
			inputs[i] = strings.TrimPrefix(in, ns+".")
		}
		output = strings.TrimPrefix(output, ns+".")
	}
	cost := "-"
	if e.CostUSD != nil {
		cost = fmt.Sprintf("$%.4f", *e.CostUSD)
	}
	return []string{e.Time.Format("2006-01-02 15:04:05"), dash(e.Stage), dash(run), dash(strings.Join(inputs, ",")),
		output, e.Operation, fmt.Sprint(e.RowsAdded), cost, dash(e.Params), dash(e.Command)}
}

// fit shortens the cells of rows (the header first) so that no aligned line
// is longer than width.
func fit(rows [][]string, width int) {
	capCol := func(col, n int, middle bool) {
		for _, row := range rows[1:] {
			row[col] = shorten(row[col], n, middle)
		}
	}
	capCol(colInputs, inputsCap, false)
	capCol(colOutput, outputCap, true)
	widths := make([]int, len(logHeader))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	used := 2 * (len(widths) - 1)
	for i, wd := range widths {
		if i != colParams && i != colCmd {
			used += wd
		}
	}
	left := max(width-used, 2*len("PARAMS"))
	cmd := min(widths[colCmd], max(left/3, len("COMMAND")))
	capCol(colCmd, cmd, true)
	capCol(colParams, left-cmd, false)
}

// shorten keeps s within n characters, cutting its end or, with middle, its
// middle (where a path's folders are, between command and file name).
func shorten(s string, n int, middle bool) string {
	r := []rune(s)
	if len(r) <= n || n < 2 {
		return s
	}
	if !middle {
		return string(r[:n-1]) + "…"
	}
	head := (n - 1) / 2
	return string(r[:head]) + "…" + string(r[len(r)-(n-1-head):])
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
