package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/distillery/distillery/inspect/diff"
	"github.com/distillery/distillery/inspect/lineage"
	"github.com/distillery/distillery/inspect/runlog"
	"github.com/distillery/distillery/internal/testutil"
)

// versionedLake builds, through the CLI, a lake whose labels have known
// scores (every dimension of an article scores the same, so overall is that
// score): `label import` of a1=5 (pilot), a2=7 (early_commercial), a3=3
// (vaporware); prefilter and compress; then a second import relabeling a1=9
// (deployed) and adding a4=7.
//
//	corpus.raw@1 a1 a2 a3            labels@1 a1 a2 a3
//	corpus.raw@2 + a4                labels@2 + a1 (again) a4
func versionedLake(t *testing.T) (lk, filter string) {
	t.Helper()
	lk = filepath.Join(t.TempDir(), "lake")
	filter = filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	dir := t.TempDir()
	solar := strings.Repeat("A 50 MW solar farm and a wind farm were commissioned and are in operation according to the grid operator. ", 8)
	record := func(id, content string, score int, day int) string {
		scores := []string{}
		for _, d := range []string{"deployment_stage", "impact_magnitude", "evidence_quality", "technology_maturity",
			"economic_viability", "scalability", "climate_relevance", "specificity"} {
			scores = append(scores, fmt.Sprintf("%q: %d", d, score))
		}
		return fmt.Sprintf(`{"id": %q, "title": "Article %s", "source": "wire", "content": %q, `+
			`"sustainability_tech_deployment_analysis": {%s, "reasoning": "r", "analyzed_at": "2026-%02d-01T00:00:00Z", "analyzed_by": "m1"}}`+"\n",
			id, id, content, strings.Join(scores, ", "), day)
	}
	first := filepath.Join(dir, "first.jsonl")
	os.WriteFile(first, []byte(record("a1", solar, 5, 1)+record("a2", "Short.", 7, 1)+record("a3", "Short too.", 3, 1)), 0o644)
	second := filepath.Join(dir, "second.jsonl")
	os.WriteFile(second, []byte(record("a1", solar, 9, 2)+record("a4", "Another.", 7, 2)), 0o644)

	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "label", "import", "--filter", filter, first)
	distill(t, 0, "--lake", lk, "prefilter", "--filter", filter)
	distill(t, 0, "--lake", lk, "compress", "--filter", filter)
	distill(t, 0, "--lake", lk, "label", "import", "--filter", filter, second)
	return lk, filter
}

// versioningGolden compares got with testdata/versioning/name; DISTILL_UPDATE_GOLDEN=1
// rewrites the file instead.
func versioningGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "versioning", name)
	if os.Getenv("DISTILL_UPDATE_GOLDEN") == "1" {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with DISTILL_UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (DISTILL_UPDATE_GOLDEN=1 rewrites it)\ngot:\n%s\nwant:\n%s", p, got, want)
	}
}

// versioningStable replaces what differs between runs (snapshot and run
// ids, times, temporary paths) or with other stages' rendering (hashes).
func versioningStable(s string) string {
	for _, r := range []struct{ re, with string }{
		{`snapshot -?[0-9]{6,}`, "snapshot N"},
		{`[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}`, "RUN"},
		{`[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}`, "TIME"},
		{`file:line=\S+`, "file:line=FILE"},
		{`[0-9a-f]{64}`, "SHA256"},                          // hashes of texts other stages render
		{`columns: [0-9]+ compared`, "columns: N compared"}, // grows with the labels schema
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return s
}

func TestCLI_DiffLabels(t *testing.T) {
	lk, filter := versionedLake(t)

	out, _ := distill(t, 0, "--lake", lk, "diff", "--filter", filter, "labels@1")
	versioningGolden(t, "diff_labels.txt", versioningStable(out))

	out, _ = distill(t, 0, "--lake", lk, "diff", "--json", "sustainability_tech_deployment.labels@1", "sustainability_tech_deployment.labels@2")
	var res diff.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("diff --json printed %q: %v", out, err)
	}
	if got := [4]int64{res.Added, res.Removed, res.Changed, res.Unchanged}; got != [4]int64{1, 0, 1, 2} || res.KeyUnique {
		t.Errorf("ids added, removed, changed, unchanged = %v (key unique %v), want [1 0 1 2], false", got, res.KeyUnique)
	}
	d := res.Labels
	if d == nil || len(d.Means) != 9 || d.CommonIDs != 3 {
		t.Fatalf("labels part = %+v, want 8 dimensions and overall over 3 common ids", d)
	}
	for _, m := range d.Means { // all rows 5 -> 31/5; common ids (5,7,3) -> (9,7,3)
		if math.Abs(*m.Shift-1.2) > 1e-9 || math.Abs(*m.CommonShift-4.0/3) > 1e-9 {
			t.Errorf("%s: shift %v, common shift %v, want 1.2 and 1.333", m.Dimension, *m.Shift, *m.CommonShift)
		}
	}
	want := "[deployed early_commercial pilot vaporware]"
	if fmt.Sprint(d.Tiers) != want || d.Count("pilot", "deployed") != 1 || d.Count("early_commercial", "early_commercial") != 1 ||
		d.Count("vaporware", "vaporware") != 1 || d.Count("pilot", "pilot") != 0 {
		t.Errorf("tiers %v, transitions %+v", d.Tiers, d.Transitions)
	}

	// One argument with no @: the last change of the table.
	out, _ = distill(t, 0, "--lake", lk, "diff", "--json", "corpus.raw")
	res = diff.Result{}
	json.Unmarshal([]byte(out), &res)
	if res.A.Seq != 1 || res.B.Seq != 2 || res.Added != 1 || res.Unchanged != 3 || res.Examples["added"][0] != "a4" {
		t.Errorf("diff corpus.raw = %+v", res)
	}
	_, stderr := distill(t, 1, "--lake", lk, "diff", "corpus.raw@9")
	if !strings.Contains(stderr, "no snapshot with sequence number 9") {
		t.Errorf("diff @9: %q", stderr)
	}
	_, stderr = distill(t, 1, "--lake", lk, "diff", "labels")
	if !strings.Contains(stderr, "namespace.table") {
		t.Errorf("bare name without --filter: %q", stderr)
	}
}

func TestCLI_Lineage(t *testing.T) {
	lk, filter := versionedLake(t)
	out, _ := distill(t, 0, "--lake", lk, "lineage", "a1")
	versioningGolden(t, "lineage_a1.txt", versioningStable(out))

	out, _ = distill(t, 0, "--lake", lk, "lineage", "--json", "--filter", filter, "a1")
	var res lineage.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("lineage --json printed %q: %v", out, err)
	}
	seqs := map[string][]int64{}
	for _, tb := range res.Tables {
		for _, r := range tb.Rows {
			seqs[tb.Table] = append(seqs[tb.Table], r.Seq)
		}
	}
	ns := "sustainability_tech_deployment."
	if fmt.Sprint(seqs) != fmt.Sprint(map[string][]int64{"corpus.raw": {1}, ns + "prefiltered": {1}, ns + "compressed": {1}, ns + "labels": {1, 2}}) {
		t.Errorf("snapshots that added a1's rows = %v", seqs)
	}
	_, stderr := distill(t, 1, "--lake", lk, "lineage", "zz-unknown")
	if !strings.Contains(stderr, `unknown id "zz-unknown"`) {
		t.Errorf("unknown id: %q", stderr)
	}
}

func TestCLI_Log(t *testing.T) {
	lk, _ := versionedLake(t)
	out, _ := distill(t, 0, "--lake", lk, "log", "--json")
	var res runlog.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("log --json printed %q: %v", out, err)
	}
	var got []string
	for _, e := range res.Entries {
		got = append(got, e.Stage+" "+e.Output())
	}
	ns := "sustainability_tech_deployment."
	want := []string{"ingest corpus.raw@1", "label-import " + ns + "labels@1", "prefilter " + ns + "prefiltered@1",
		"compress " + ns + "compressed@1", "ingest corpus.raw@2", "label-import " + ns + "labels@2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("log = %q, want %q", got, want)
	}
	if e := res.Entries[3]; fmt.Sprint(e.ShortInputs()) != "[corpus.raw@1 "+ns+"prefiltered@1]" || e.RowsAdded != 1 {
		t.Errorf("compress entry: inputs %v, rows %d", e.ShortInputs(), e.RowsAdded)
	}
	if e := res.Entries[5]; e.CostUSD == nil || *e.CostUSD != 0 || res.Entries[4].RunID != e.RunID || !strings.Contains(e.Command, "label import") {
		t.Errorf("second import entry = %+v", e)
	}

	out, _ = distill(t, 0, "--lake", lk, "log", "--table", ns+"labels", "--limit", "1")
	// A lake of one filter: its namespace is said once, under the table.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "TIME (UTC)") || !strings.Contains(lines[1], "label-import") ||
		!strings.Contains(lines[1], " labels@2 ") || !strings.Contains(lines[1], "$0.0000") || !strings.Contains(lines[2], strings.TrimSuffix(ns, ".")) {
		t.Errorf("log --table labels --limit 1 =\n%s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "log", "--wide", "--table", ns+"labels", "--limit", "1")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], ns+"labels@2") {
		t.Errorf("log --wide --table labels --limit 1 =\n%s", out)
	}
	distill(t, 1, "--lake", lk, "log", "--table", "nope.nothing")
}
