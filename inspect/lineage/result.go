package lineage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/distillery/distillery/internal/human"
)

// Result is the article's path through the lake.
type Result struct {
	ID     string  `json:"id"`
	Tables []Table `json:"tables"`
}

// Table is one table's rows for the article, read at its current snapshot.
// A table with no row for it (say, compressed after the prefilter blocked
// the article) is listed with no rows: that is where the path stops.
type Table struct {
	Table string `json:"table"`
	Seq   int64  `json:"sequence"` // the snapshot read
	Rows  []Row  `json:"rows"`
}

// Row is one row about the article and the snapshot that added it: the
// snapshot whose distill.run-id is the row's run_id (the first of them that
// holds the row, when a run committed in batches). Seq is 0 when no
// snapshot of the table carries that run id.
type Row struct {
	Seq        int64      `json:"sequence"`
	SnapshotID int64      `json:"snapshot_id"`
	Stage      string     `json:"stage,omitempty"`
	RunID      string     `json:"run_id,omitempty"`
	Time       *time.Time `json:"time,omitempty"`
	Fields     Fields     `json:"fields"`
}

// Field is one shown column of a row.
type Field struct {
	Name  string
	Value any
}

// Fields keep the column order of the table; they marshal as one JSON object.
type Fields []Field

// MarshalJSON writes the fields as an object in their order.
func (fs Fields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := human.MarshalJSON(f.Name)
		v, err := human.MarshalJSON(f.Value)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object written by MarshalJSON, keeping its order.
func (fs *Fields) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("fields: want a JSON object")
	}
	*fs = (*fs)[:0]
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := t.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("field %s: %w", name, err)
		}
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				v = i
			} else {
				v, _ = n.Float64()
			}
		}
		*fs = append(*fs, Field{name, v})
	}
	return nil
}

// Get returns the value of the named field, or nil.
func (fs Fields) Get(name string) any {
	for _, f := range fs {
		if f.Name == name {
			return f.Value
		}
	}
	return nil
}
