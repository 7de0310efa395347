package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLI_StatsSplitAndTags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	distill(t, 0, "demo", "--dir", dir, "--articles", "600")
	lk, f := filepath.Join(dir, "lake"), filepath.Join(dir, "filters/sustainability_tech_deployment/v1")

	out, _ := distill(t, 0, "--lake", lk, "stats", "--filter", f)
	for _, want := range []string{"TIER", "DIMENSION", "HISTOGRAM 0..10", "keywords", "cost so far", "footer phrases: ", " compressed texts ("} {
		if !strings.Contains(out, want) {
			t.Errorf("stats output lacks %q:\n%s", want, out)
		}
	}
	out, _ = distill(t, 0, "--lake", lk, "stats", "--filter", f, "--json")
	var footer struct {
		Footer struct {
			Total    int64 `json:"total"`
			ByPhrase []struct {
				Phrase string `json:"phrase"`
			} `json:"by_phrase"`
		} `json:"footer_phrases"`
	}
	if err := json.Unmarshal([]byte(out), &footer); err != nil || footer.Footer.Total == 0 || len(footer.Footer.ByPhrase) != 6 {
		t.Errorf("stats --json footer_phrases: %+v (%v)", footer.Footer, err)
	}
	// The demo split already: splitting again changes nothing.
	out, _ = distill(t, 0, "--lake", lk, "split", "--filter", f, "--json")
	var res struct {
		Mode     string         `json:"mode"`
		Articles int            `json:"articles"`
		Counts   map[string]int `json:"counts"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Mode != "unchanged" || res.Counts["train"]+res.Counts["val"]+res.Counts["test"] != res.Articles {
		t.Fatalf("split --json: %s (%v)", out, err)
	}
	// Tags name snapshots in SQL and in input flags.
	distill(t, 0, "--lake", lk, "tag", "v1", "sustainability_tech_deployment.labels")
	out, _ = distill(t, 0, "--lake", lk, "sql", "--filter", f, "--format", "csv", `SELECT count(*) FROM "labels@v1"`)
	if strings.TrimSpace(strings.Split(out, "\n")[1]) == "0" {
		t.Errorf("labels@v1 is empty: %s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "split", "--filter", f, "--labels", "labels@v1")
	if !strings.Contains(out, "up to date") {
		t.Errorf("split of the same labels: %s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "stats", "--filter", f, "--table", "labels@v1", "--split", "val", "--json")
	var st struct {
		Labels   string `json:"labels"`
		Articles int    `json:"articles"`
		Balance  []any  `json:"split_balance"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || !strings.HasSuffix(st.Labels, "labels@1") || st.Articles != res.Counts["val"] || len(st.Balance) == 0 {
		t.Errorf("stats --split val: %s", out)
	}
	_, errOut := distill(t, 1, "--lake", lk, "split", "--filter", f, "--ratios", "0.8,0.3")
	if !strings.Contains(errOut, "ratios") {
		t.Errorf("bad ratios: %s", errOut)
	}
	_, errOut = distill(t, 1, "--lake", lk, "stats", "--filter", f, "--table", "labels@nope")
	if !strings.Contains(errOut, "no tag") {
		t.Errorf("unknown tag: %s", errOut)
	}
}
