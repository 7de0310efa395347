package spec_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/distillery/distillery/spec"
)

type fakeResult struct {
	spec.Summary
	Passed int64 `json:"passed"`
}

func (r *fakeResult) Details() []string { return []string{"passed 3"} }

func TestPrint(t *testing.T) {
	r := &fakeResult{Summary: spec.Summary{Stage: "prefilter", Table: "u.prefiltered", Snapshot: 2, RowsIn: 5, RowsOut: 5,
		Mode: "incremental", Seconds: 0.25, Warnings: []string{"careful"}}, Passed: 3}
	var text bytes.Buffer
	if err := spec.Print(&text, r, false); err != nil {
		t.Fatal(err)
	}
	want := "prefilter: 5 in, 5 out -> u.prefiltered@2 (incremental, 0.2 s)\n  passed 3\n  warning: careful\n"
	if text.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", text.String(), want)
	}
	var js bytes.Buffer
	if err := spec.Print(&js, r, true); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"stage": "prefilter", "rows_in": 5.0, "rows_out": 5.0, "snapshot": 2.0, "mode": "incremental", "passed": 3.0, "table": "u.prefiltered"} {
		if m[k] != v {
			t.Errorf("json %s = %v, want %v", k, m[k], v)
		}
	}
}

func (r *fakeResult) Headline() string { return "3 passed" }

func TestBrief(t *testing.T) {
	r := &fakeResult{Summary: spec.Summary{Stage: "prefilter", Table: "u.prefiltered", Snapshot: 2}}
	if got, want := spec.Brief(r), "3 passed -> u.prefiltered@2"; got != want {
		t.Errorf("Brief = %q, want %q", got, want)
	}
}
