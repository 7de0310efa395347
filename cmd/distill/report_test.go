package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLI_Report(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	distill(t, 0, "demo", "--dir", dir, "--articles", "600")
	lk, f := filepath.Join(dir, "lake"), filepath.Join(dir, "filters/sustainability_tech_deployment/v1")

	// The demo runs the pipeline from ingest to eval: every section draws.
	out, _ := distill(t, 0, "--lake", lk, "sql", "--filter", f, "--format", "csv", "SELECT model FROM evaluations ORDER BY evaluated_at DESC LIMIT 1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("the demo evaluated no model: %q", out)
	}
	id := lines[1]
	// The demo has one oracle: a simulated second one, asked twice, gives
	// the agreement section something to draw.
	distill(t, 0, "--lake", lk, "label", "--filter", f, "--oracle", "simulate", "--model", "offset=1,noise=0.5", "--sample", "60", "--repeat", "2")
	distill(t, 0, "--lake", lk, "agree", "--filter", f)
	page := filepath.Join(dir, "report.html")
	out, _ = distill(t, 0, "--lake", lk, "report", "--filter", f, "-o", page, "--json")
	var res struct {
		Out      string `json:"out"`
		Bytes    int    `json:"bytes"`
		Charts   int    `json:"charts"`
		Sections []struct {
			ID      string `json:"id"`
			Charts  int    `json:"charts"`
			Missing string `json:"missing"`
		} `json:"sections"`
		Read []string `json:"read"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("report --json: %v\n%s", err, out)
	}
	charts := map[string]int{}
	for _, s := range res.Sections {
		if s.Missing != "" && s.ID != "drift" { // nothing scored: drift says so (TestRun_Drift draws it)
			t.Errorf("section %s: %s", s.ID, s.Missing)
		}
		charts[s.ID] = s.Charts
	}
	// 8 dimensions; one model evaluated; corpus.raw, rejects and the filter's tables.
	if charts["tiers"] != 1 || charts["dimensions"] != 8 || charts["agreement"] != 1 || charts["mae"] != 1 || charts["confusion"] != 1 || charts["snapshots"] < 9 {
		t.Errorf("charts per section: %v", charts)
	}
	html, err := os.ReadFile(page)
	if err != nil || len(html) != res.Bytes || res.Out != page {
		t.Fatalf("report file: %v (%d bytes, result %+v)", err, len(html), res)
	}
	for _, want := range []string{"<!doctype html>", "Content-Security-Policy", "sustainability_tech_deployment/v1", id, "Tier confusion: " + id, "deployment_stage", "Snapshot history"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(string(html), "http://") || strings.Contains(string(html), "https://") {
		t.Error("the report links to the network")
	}

	// -o - writes the page to stdout and nothing else.
	out, _ = distill(t, 0, "--lake", lk, "report", "--filter", f, "-o", "-", "--split", "test")
	if !strings.HasPrefix(out, "<!doctype html>") || !strings.HasSuffix(strings.TrimSpace(out), "</html>") {
		t.Errorf("-o - printed %.200q…", out)
	}
	_, errOut := distill(t, 1, "--lake", lk, "report", "--filter", f, "--split", "holdout")
	if !strings.Contains(errOut, `split "holdout"`) {
		t.Errorf("bad --split: %s", errOut)
	}

	// A lake with nothing yet: every section says what to run first.
	empty := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", empty)
	page = filepath.Join(dir, "empty.html")
	out, _ = distill(t, 0, "--lake", empty, "report", "--filter", f, "-o", page)
	for _, want := range []string{"report: " + page, ", 0 charts)", "Tier distribution          No labels yet", "Student error              No evaluations yet", "Snapshot history           The lake has no snapshots yet"} {
		if !strings.Contains(out, want) {
			t.Errorf("empty lake: report output lacks %q:\n%s", want, out)
		}
	}
}
