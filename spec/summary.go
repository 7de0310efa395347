package spec

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
)

// Summary is what every stage's Result embeds: what it read, what it wrote,
// how many rows, how, and how long. Its JSON keys are the ones stages
// printed before it existed (rows_in, rows_out, mode, warnings, seconds,
// snapshot, table, run_id), plus stage and inputs beside them.
type Summary struct {
	Stage string `json:"stage"`
	RunID string `json:"run_id,omitempty"`
	// Inputs are the snapshots read, ns.table@N.
	Inputs []string `json:"inputs"`
	// Table is the main output table, ns.table; Snapshot its sequence number
	// after the run (0: the table is still empty).
	Table    string `json:"table"`
	Snapshot int64  `json:"snapshot"`
	// Output is the table's snapshot after the run: the one it committed,
	// or the one it found when it had nothing to write (nil: none).
	Output  *lake.Snapshot `json:"-"`
	RowsIn  int64          `json:"rows_in"`
	RowsOut int64          `json:"rows_out"`
	// Mode is how the stage ran: incremental, full, first, unchanged, …
	Mode     string   `json:"mode,omitempty"`
	Warnings []string `json:"warnings"`
	Seconds  float64  `json:"seconds"`
}

// Result is what a stage returns: its Summary and the lines that say what
// is particular to it.
type Result interface {
	Sum() *Summary
	// Headline is the stage's key figures in a few words ("784 decided,
	// 255 passed"): what `distill run` keeps as its summary of the stage.
	Headline() string
	// Details are the stage's own lines, printed under the summary line.
	Details() []string
}

// Sum returns s: a Result embedding Summary gets it for free.
func (s *Summary) Sum() *Summary { return s }

// Start is the Summary a run of stage st begins with: empty lists rather
// than nil ones, so that `--json` prints [] for "none".
func Start(st *Spec, runID string) Summary {
	return Summary{Stage: st.Name, RunID: runID, Inputs: []string{}, Warnings: []string{}}
}

// SetInputs records the snapshots read: those its commit names as inputs.
func (s *Summary) SetInputs(snaps ...lake.Snapshot) {
	s.Inputs = make([]string, len(snaps))
	for i, sn := range snaps {
		s.Inputs[i] = sn.Ref().String()
	}
}

// SetOutput records table t and its snapshot after the run.
func (s *Summary) SetOutput(t lake.TableName, snap *lake.Snapshot) {
	s.Table = t.String()
	s.Output = snap
	s.Snapshot = 0
	if snap != nil {
		s.Snapshot = snap.Seq
	}
}

// Finish records the output (see SetOutput) and the time since start.
func (s *Summary) Finish(t lake.TableName, snap *lake.Snapshot, start time.Time) {
	s.SetOutput(t, snap)
	s.Seconds = time.Since(start).Seconds()
}

// Warn adds a warning.
func (s *Summary) Warn(format string, args ...any) {
	s.Warnings = append(s.Warnings, fmt.Sprintf(format, args...))
}

// Line is the one-line summary: "prefilter: 120 in, 80 out -> ns.prefiltered@3 (incremental, 0.4 s)".
func (s *Summary) Line() string {
	var b strings.Builder
	b.WriteString(s.Stage)
	if s.Table != "" || s.RowsIn != 0 || s.RowsOut != 0 {
		fmt.Fprintf(&b, ": %d in, %d out", s.RowsIn, s.RowsOut)
	}
	if s.Table != "" && s.Snapshot > 0 {
		fmt.Fprintf(&b, " -> %s@%d", s.Table, s.Snapshot)
	}
	var how []string
	if s.Mode != "" {
		how = append(how, s.Mode)
	}
	how = append(how, fmt.Sprintf("%.1f s", s.Seconds))
	fmt.Fprintf(&b, " (%s)", strings.Join(how, ", "))
	return b.String()
}

// Print writes r for a person (the summary line, the stage's own lines
// indented under it, then its warnings) or, with asJSON, as one indented
// JSON object: the same function for every command, `--json` and
// `distill run`.
func Print(w io.Writer, r Result, asJSON bool) error {
	if asJSON {
		return human.JSONEncoder(w).Encode(r)
	}
	s := r.Sum()
	lines := []string{s.Line()}
	for _, l := range r.Details() {
		if l != "" {
			l = "  " + l
		}
		lines = append(lines, l)
	}
	for _, wn := range s.Warnings {
		lines = append(lines, "  warning: "+wn)
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

// Columns aligns tab-separated cells into columns two spaces apart, for a
// table among a Result's Details.
func Columns(rows ...string) []string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	tw.Flush()
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

// Brief is r's headline and where it went: "784 decided, 255 passed ->
// ns.prefiltered@3", the summary `distill run` prints with --json and keeps
// in its state.
func Brief(r Result) string {
	s := r.Sum()
	b := r.Headline()
	switch {
	case s.Table != "" && s.Snapshot > 0:
		b += fmt.Sprintf(" -> %s@%d", s.Table, s.Snapshot)
	case s.Table != "":
		b += " -> " + s.Table
	}
	return b
}
