package runlog

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/distillery/distillery/lake"
)

// Entry is what one run did to one table. A run that committed in batches
// (the labeler) made several snapshots of the table: Snapshots lists them,
// and the entry adds them up.
type Entry struct {
	Time      time.Time `json:"time"` // of the run's first snapshot of the table
	Stage     string    `json:"stage"`
	RunID     string    `json:"run_id"`
	Table     string    `json:"table"`
	Seq       int64     `json:"sequence"` // the run's last snapshot of the table
	Operation string    `json:"operation"`
	RowsAdded int64     `json:"rows_added"`
	TotalRows int64     `json:"total_rows"` // after the run's last snapshot
	// Inputs are the snapshots the run read, as table@seq#snapshot-id.
	Inputs []string `json:"inputs"`
	// CostUSD is the sum of cost_usd over the rows the run wrote to a
	// labels table; nil for other tables.
	CostUSD   *float64   `json:"cost_usd,omitempty"`
	Params    string     `json:"params,omitempty"`
	Filter    string     `json:"filter,omitempty"`
	Command   string     `json:"command,omitempty"`
	Snapshots []Snapshot `json:"snapshots"`

	name lake.TableName
}

// Snapshot is one snapshot an entry made.
type Snapshot struct {
	Seq       int64     `json:"sequence"`
	ID        int64     `json:"snapshot_id"`
	Time      time.Time `json:"time"`
	Operation string    `json:"operation"`
	RowsAdded int64     `json:"rows_added"`
	Params    string    `json:"params,omitempty"`
}

// Output is the entry's output as table@seq, or table@first-last when the
// run made several snapshots.
func (e Entry) Output() string {
	if n := len(e.Snapshots); n > 1 {
		return fmt.Sprintf("%s@%d-%d", e.Table, e.Snapshots[0].Seq, e.Snapshots[n-1].Seq)
	}
	return fmt.Sprintf("%s@%d", e.Table, e.Seq)
}

// ShortInputs are the inputs as table@seq, without snapshot ids.
func (e Entry) ShortInputs() []string {
	out := make([]string, len(e.Inputs))
	for i, in := range e.Inputs {
		out[i], _, _ = strings.Cut(in, "#")
	}
	return out
}

// Result is the log, oldest entry first.
type Result struct {
	Entries []Entry `json:"runs"`
}

// group makes one entry per run id (snapshots without one, made outside
// distill, get an entry each), in sequence order.
func group(n lake.TableName, snaps []lake.Snapshot) []Entry {
	var out []Entry
	byRun := map[string]int{}
	for _, s := range snaps {
		i, ok := byRun[s.RunID]
		if !ok || s.RunID == "" {
			out = append(out, Entry{Time: s.Time, Stage: s.Stage, RunID: s.RunID, Table: n.String(),
				Inputs: []string{}, Filter: s.Filter, Command: s.Command, name: n})
			i = len(out) - 1
			byRun[s.RunID] = i
		}
		e := &out[i]
		e.Seq, e.TotalRows = s.Seq, s.TotalRows
		e.RowsAdded += s.AddedRows
		e.Snapshots = append(e.Snapshots, Snapshot{s.Seq, s.ID, s.Time, s.Operation, s.AddedRows, s.Params})
		for _, in := range strings.Split(s.Inputs, ",") {
			if in != "" && !slices.Contains(e.Inputs, in) {
				e.Inputs = append(e.Inputs, in)
			}
		}
	}
	for i := range out {
		e := &out[i]
		var ops, params []string
		for _, s := range e.Snapshots {
			if !slices.Contains(ops, s.Operation) {
				ops = append(ops, s.Operation)
			}
			if s.Params != "" && !slices.Contains(params, s.Params) {
				params = append(params, s.Params)
			}
		}
		e.Operation = strings.Join(ops, ",")
		if len(params) > 3 {
			params = append(params[:2], fmt.Sprintf("… (%d different)", len(params)))
		}
		e.Params = strings.Join(params, " | ")
	}
	return out
}

// MarshalJSON writes params as JSON objects, not JSON text inside a string:
// a snapshot's params object, and for an entry the one object of its run
// (a list when its snapshots had different params).
func (e Entry) MarshalJSON() ([]byte, error) {
	type plain Entry
	var params any
	if p := e.paramsList(); len(p) == 1 {
		params = p[0]
	} else if len(p) > 1 {
		params = p
	}
	return json.Marshal(struct {
		plain
		Params any `json:"params,omitempty"`
	}{plain(e), params})
}

// paramsList is the distinct params of the entry's snapshots, decoded.
func (e Entry) paramsList() []any {
	var out []any
	var seen []string
	for _, s := range e.Snapshots {
		if s.Params != "" && !slices.Contains(seen, s.Params) {
			seen = append(seen, s.Params)
			out = append(out, DecodeParams(s.Params))
		}
	}
	if len(out) == 0 && e.Params != "" {
		out = append(out, DecodeParams(e.Params))
	}
	return out
}

// MarshalJSON writes the snapshot's params as a JSON object.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	type plain Snapshot
	return json.Marshal(struct {
		plain
		Params any `json:"params,omitempty"`
	}{plain(s), DecodeParams(s.Params)})
}

// DecodeParams is a snapshot's distill.params decoded for JSON output (nil for
// none; text that is not JSON, from a writer other than distill, stays text),
// so that escapes such as \u003e come out as what they stand for.
func DecodeParams(p string) any {
	if p == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(p))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return p
	}
	return v
}

// UnmarshalJSON reads what MarshalJSON writes, params back to JSON text.
func (e *Entry) UnmarshalJSON(b []byte) error {
	type plain Entry
	var v struct {
		plain
		Params json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = Entry(v.plain)
	e.Params = paramsText(v.Params)
	return nil
}

// UnmarshalJSON reads what MarshalJSON writes, params back to JSON text.
func (s *Snapshot) UnmarshalJSON(b []byte) error {
	type plain Snapshot
	var v struct {
		plain
		Params json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Snapshot(v.plain)
	s.Params = paramsText(v.Params)
	return nil
}

// paramsText is params as the text stored in the snapshot: a JSON string's
// value, or the JSON itself.
func paramsText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
