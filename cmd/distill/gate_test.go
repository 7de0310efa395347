package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/evaluate/evaltest"
	"github.com/distillery/distillery/stages/gate/gatetest"
)

// distill gate exits 0 on a pass and 3 on a regression, printing the
// verdict either way; distill model lists and retags.
func TestCLI_Gate(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	l, err := lake.Open(context.Background(), lk)
	if err != nil {
		t.Fatal(err)
	}
	gatetest.Planted(t, l, "")
	l.Close()
	f := evaltest.FilterDir(t)

	out, _ := distill(t, 0, "--lake", lk, "gate", "--filter", f, "--candidate", "better", "--bootstrap", "200")
	for _, want := range []string{"better against production model prod on 80 labeled articles of test", "95% INTERVAL", "verdict: pass", "-> eval_tiny.gates@1"} {
		if !strings.Contains(out, want) {
			t.Errorf("gate output lacks %q:\n%s", want, out)
		}
	}
	out, errOut := distill(t, 3, "--lake", lk, "gate", "--filter", f, "--candidate", "worse", "--bootstrap", "200", "--json")
	var res struct {
		Verdict string `json:"verdict"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Verdict != "regression" {
		t.Errorf("gate --json of a regression: %v, %q", err, out)
	}
	if !strings.Contains(errOut, "worse is a regression against production model prod: mae +") {
		t.Errorf("stderr of a regression: %s", errOut)
	}

	distill(t, 0, "--lake", lk, "model", "tag", "production", "better", "--filter", f, "--note", "passed the gate")
	out, _ = distill(t, 0, "--lake", lk, "model", "list", "--filter", f)
	if !strings.Contains(out, "better") || !strings.Contains(out, "production") || strings.Count(out, "production") != 1 {
		t.Errorf("model list:\n%s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "model", "tags", "--filter", f)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.Contains(lines[1], "better") || !strings.Contains(lines[1], "*") || !strings.Contains(lines[1], "passed the gate") {
		t.Errorf("model tags:\n%s", out)
	}
	_, errOut = distill(t, 1, "--lake", lk, "model", "tag", "production", "bettr", "--filter", f)
	if !strings.Contains(errOut, "did you mean better?") {
		t.Errorf("tagging an unknown model: %s", errOut)
	}
}
