package spec

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/distillery/distillery/lake"
)

// Summary is what every stage's Result embeds: what it read, what it wrote,
// how many rows, how, and how long. Its JSON keys are the ones stages
// printed before it existed (rows_in, rows_out, mode, warnings, seconds,
// snapshot), plus stage, run_id, inputs and table beside them.
type Summary struct {
	Stage string `json:"stage"`
	RunID string `json:"run_id,omitempty"`
	// Inputs are the snapshots read, ns.table@N.
	Inputs []string `json:"inputs"`
	// Table is the main output table, ns.table; Snapshot its sequence number
	// after the run (0: nothing committed yet).
	Table    string `json:"table"`
	Snapshot int64  `json:"snapshot"`
	// Output is the snapshot the run committed (nil when it committed none).
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
	// Details are the stage's own lines, printed under the summary line.
	Details() []string
}

// Sum returns s: a Result embedding Summary gets it for free.
func (s *Summary) Sum() *Summary { return s }

// SetInputs records the snapshots read.
func (s *Summary) SetInputs(snaps ...*lake.Snapshot) {
	s.Inputs = s.Inputs[:0]
	for _, sn := range snaps {
		if sn != nil {
			s.Inputs = append(s.Inputs, sn.Ref().String())
		}
	}
}

// SetOutput records the committed snapshot of table t.
func (s *Summary) SetOutput(t lake.TableName, snap *lake.Snapshot) {
	s.Table = t.String()
	s.Output = snap
	if snap != nil {
		s.Snapshot = snap.Seq
	}
}

// Line is the one-line summary: "prefilter: 120 in, 80 out → ns.prefiltered@3 (incremental, 0.4 s)".
func (s *Summary) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d in, %d out", s.Stage, s.RowsIn, s.RowsOut)
	if s.Table != "" && s.Snapshot > 0 {
		fmt.Fprintf(&b, " → %s@%d", s.Table, s.Snapshot)
	}
	var how []string
	if s.Mode != "" {
		how = append(how, s.Mode)
	}
	how = append(how, fmt.Sprintf("%.1f s", s.Seconds))
	fmt.Fprintf(&b, " (%s)", strings.Join(how, ", "))
	return b.String()
}

// Print writes r for a person (the summary line, the stage's own lines,
// then its warnings) or, with asJSON, as one indented JSON object: the
// same function for every command, `--json` and `distill run`.
func Print(w io.Writer, r Result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	s := r.Sum()
	if _, err := fmt.Fprintln(w, s.Line()); err != nil {
		return err
	}
	for _, l := range r.Details() {
		if _, err := fmt.Fprintln(w, "  "+l); err != nil {
			return err
		}
	}
	for _, wn := range s.Warnings {
		if _, err := fmt.Fprintln(w, "  warning: "+wn); err != nil {
			return err
		}
	}
	return nil
}
