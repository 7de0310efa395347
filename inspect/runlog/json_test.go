package runlog

import (
	"encoding/json"
	"strings"
	"testing"
)

// params reach --json as objects, not JSON text inside a string.
func TestEntry_ParamsAsObjects(t *testing.T) {
	e := Entry{Stage: "split", Snapshots: []Snapshot{{Seq: 1, Params: `{"seed":7,"note":"a>b"}`}, {Seq: 2, Params: `{"seed":7,"note":"a>b"}`}}}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Params    map[string]any `json:"params"`
		Snapshots []struct {
			Params map[string]any `json:"params"`
		} `json:"snapshots"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if got.Params["seed"] != float64(7) || len(got.Snapshots) != 2 || got.Snapshots[1].Params["note"] != "a>b" {
		t.Errorf("params not objects: %s", b)
	}
	e.Snapshots[1].Params = "not json"
	b, _ = json.Marshal(e)
	if !strings.Contains(string(b), `"params":[{`) || !strings.Contains(string(b), `"not json"`) {
		t.Errorf("two params: %s", b)
	}
}
