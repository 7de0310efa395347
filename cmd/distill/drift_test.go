package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/drift/drifttest"
)

// distill drift exits 0 when it ran, whatever it flags; --fail-on-drift
// exits 3 when something moved, and 0 when nothing did.
func TestCLI_Drift(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	l, err := lake.Open(context.Background(), lk)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	drifttest.Plant(t, l, testutil.Filter(t, "filters/sustainability_tech_deployment/v1"), 1)
	l.Close()

	out, _ := distill(t, 0, "--lake", lk, "drift", "--filter", dir)
	for _, want := range []string{"window 2026-W03 against", "against train:", "against earlier:", "impact_magnitude", "FLAGGED",
		"20 of 660 scored articles had no usable published date", "--select drift --budget 50"} {
		if !strings.Contains(out, want) {
			t.Errorf("drift output lacks %q:\n%s", want, out)
		}
	}
	out, errOut := distill(t, 3, "--lake", lk, "drift", "--filter", dir, "--fail-on-drift", "--json")
	var res struct {
		Flagged    []any    `json:"flagged"`
		Dimensions []string `json:"flagged_dimensions"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Flagged) == 0 {
		t.Errorf("drift --json: %v, %q", err, out)
	}
	if !strings.Contains(errOut, "drift flagged in window 2026-W03: impact_magnitude against train PSI") {
		t.Errorf("stderr of --fail-on-drift: %s", errOut)
	}
	// A threshold nothing reaches: nothing flagged, exit 0 even with --fail-on-drift.
	out, _ = distill(t, 0, "--lake", lk, "drift", "--filter", dir, "--fail-on-drift", "--threshold", "1000", "--pass-threshold", "1")
	if !strings.Contains(out, "nothing moved beyond the thresholds") {
		t.Errorf("drift with a threshold nothing reaches:\n%s", out)
	}
	_, errOut = distill(t, 1, "--lake", lk, "drift", "--filter", dir, "--by", "month")
	if !strings.Contains(errOut, "want week, day or run") {
		t.Errorf("--by month: %s", errOut)
	}
	// A 0 is refused, never read as the default (--threshold 0 flagged as
	// --threshold 0.2 did).
	for _, flag := range []string{"--threshold", "--pass-threshold", "--min-articles"} {
		if _, errOut = distill(t, 1, "--lake", lk, "drift", "--filter", dir, flag, "0"); !strings.Contains(errOut, "want a value above 0") {
			t.Errorf("%s 0: %s", flag, errOut)
		}
	}
}
