package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
)

func TestCLI_FilterValidateAndNew(t *testing.T) {
	root := testutil.RepoRoot(t)
	out, _ := distill(t, 0, "filter", "validate", filepath.Join(root, "filters/sustainability_tech_deployment/v1"), filepath.Join(root, "filters/uplifting/v1"))
	if strings.Count(out, ": ok:") != 2 {
		t.Errorf("validate: %q", out)
	}
	dir := t.TempDir()
	out, _ = distill(t, 0, "filter", "new", "--dir", dir, "grid_storage")
	pkg := filepath.Join(dir, "grid_storage", "v1")
	if !strings.Contains(out, pkg) {
		t.Errorf("new: %q", out)
	}
	distill(t, 0, "filter", "validate", pkg)
	cfg := filepath.Join(pkg, "filter.yaml")
	b, _ := os.ReadFile(cfg)
	broken := strings.NewReplacer("weight: 0.4", "weight: 0.5", "max_words: 800", "max_word: 800").Replace(string(b))
	os.WriteFile(cfg, []byte(broken), 0o644)
	_, stderr := distill(t, 1, "filter", "validate", pkg)
	// Both problems, in one pass, each at its line with the key a person wrote.
	line := func(s string) int { return strings.Count(broken[:strings.Index(broken, s)], "\n") + 1 }
	for _, want := range []string{
		fmt.Sprintf("%s:%d: dimensions[].weight: weights sum to 1.1, not 1", cfg, line("dimensions:")),
		fmt.Sprintf("%s:%d: compression.max_word: unknown key (did you mean max_words?)", cfg, line("max_word:")),
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("validate of a broken package does not say %q:\n%s", want, stderr)
		}
	}
	distill(t, 1, "filter", "new", "--dir", dir, "grid_storage") // never overwrites
}

func TestCLI_PrefilterWhatIfCompress(t *testing.T) {
	root := testutil.RepoRoot(t)
	f := filepath.Join(root, "filters/sustainability_tech_deployment/v1")
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/bbc-fulltext/bbc/tech"), testutil.Shared(t, "corpus/bbc-fulltext/bbc/sport"))

	out, _ := distill(t, 0, "--lake", lk, "prefilter", "--filter", f, "--json")
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("prefilter --json: %q", out)
	}
	if res["rows_in"] != res["rows_out"] || res["mode"] != "full" || res["snapshot"] != 1.0 {
		t.Errorf("prefilter result: %v", res)
	}
	if by, _ := res["blocked_by"].([]any); len(by) == 0 {
		t.Errorf("prefilter --json has no blocked_by: %v", res)
	}
	out, _ = distill(t, 0, "--lake", lk, "prefilter", "--filter", f)
	if !strings.Contains(out, "0 decided (none)") {
		t.Errorf("incremental rerun: %q", out)
	}
	// The filter's tables resolve without a namespace under --filter.
	out, _ = distill(t, 0, "--lake", lk, "sql", "--filter", f, "--format", "csv", "SELECT count(*) FROM prefiltered p JOIN corpus.raw r USING (id) WHERE r.tags = ['sport'] AND p.passed")
	if out != "count_star()\n0\n" {
		t.Errorf("BBC sport passes: %q", out)
	}

	// What-if: a looser copy of the filter, nothing written.
	other := editedFilter(t, f, "min_matches: 2", "min_matches: 1")
	out, _ = distill(t, 0, "--lake", lk, "prefilter", "--filter", f, "--what-if", other)
	if !strings.Contains(out, "blocked would pass") || !strings.Contains(out, "0 passed would be blocked") {
		t.Errorf("what-if: %q", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "snapshots", "--json", "sustainability_tech_deployment.prefiltered")
	var snaps []snapshotJSON
	json.Unmarshal([]byte(out), &snaps)
	if len(snaps) != 1 || !strings.Contains(snaps[0].Filter, "sustainability_tech_deployment/v1 ") || !strings.Contains(snaps[0].Inputs, "corpus.raw@1") {
		t.Errorf("what-if wrote, or lineage missing: %+v", snaps)
	}

	out, _ = distill(t, 0, "--lake", lk, "compress", "--filter", f, "--json")
	json.Unmarshal([]byte(out), &res)
	if res["rows_out"] == 0.0 || res["mode"] != "full" {
		t.Errorf("compress: %v", res)
	}
}

// compress --what-if writes nothing, and its figures hang together: the
// learned boilerplate only takes text away on the ai-tech sample.
func TestCLI_CompressWhatIf(t *testing.T) {
	root := testutil.RepoRoot(t)
	f := filepath.Join(root, "filters/sustainability_tech_deployment/v1")
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz"))
	distill(t, 0, "--lake", lk, "prefilter", "--filter", f)
	_, errOut := distill(t, 1, "--lake", lk, "compress", "--filter", f, "--what-if")
	if !strings.Contains(errOut, "run `distill compress") {
		t.Errorf("what-if before compress: %q", errOut)
	}
	distill(t, 0, "--lake", lk, "compress", "--filter", f)
	snapshots := func() string {
		out, _ := distill(t, 0, "--lake", lk, "snapshots", "--json", "sustainability_tech_deployment.compressed", "corpus.boilerplate")
		return out
	}
	was := snapshots()

	out, _ := distill(t, 0, "--lake", lk, "compress", "--filter", f, "--what-if", "--sample", "2")
	for _, want := range []string{"the rules alone -> with the learned boilerplate", "(nothing written)", "oracle input tokens:", "labeling them once with gemini-2.5-flash: $", "⟦"} {
		if !strings.Contains(out, want) {
			t.Errorf("what-if output lacks %q:\n%s", want, out)
		}
	}
	var res struct {
		Articles     int64   `json:"articles"`
		Changed      int64   `json:"changed"`
		WordsBefore  int64   `json:"words_before"`
		WordsAfter   int64   `json:"words_after"`
		TokensBefore int64   `json:"tokens_before"`
		TokensAfter  int64   `json:"tokens_after"`
		CostBefore   float64 `json:"cost_usd_before"`
		CostAfter    float64 `json:"cost_usd_after"`
		Sample       []struct {
			ID     string `json:"id"`
			Marked string `json:"marked"`
		} `json:"sample"`
	}
	out, _ = distill(t, 0, "--lake", lk, "compress", "--filter", f, "--what-if", "--sample", "2", "--json")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if res.Articles == 0 || res.Changed == 0 || res.Changed > res.Articles || res.WordsAfter > res.WordsBefore ||
		res.TokensAfter >= res.TokensBefore || res.CostAfter >= res.CostBefore || len(res.Sample) != 2 || !strings.Contains(res.Sample[0].Marked, "⟦") {
		t.Errorf("what-if figures: %+v", res)
	}
	if got := snapshots(); got != was {
		t.Errorf("what-if wrote a snapshot:\nbefore %s\nafter  %s", was, got)
	}

	// Against a copy that does not learn: the learned text comes back.
	other := editedFilter(t, f, "compression:\n", "compression:\n  learn_boilerplate: false\n")
	out, _ = distill(t, 0, "--lake", lk, "compress", "--filter", f, "--what-if", other, "--json")
	res.Sample = nil
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if res.Changed == 0 || res.TokensAfter <= res.TokensBefore || !strings.Contains(res.Sample[0].Marked, "⟪") {
		t.Errorf("what-if against a copy that does not learn: %+v", res)
	}
	_, errOut = distill(t, 1, "--lake", lk, "compress", "--filter", f, other)
	if !strings.Contains(errOut, "OTHER_FILTER_DIR after --what-if") {
		t.Errorf("a directory without --what-if: %q", errOut)
	}
	if got := snapshots(); got != was {
		t.Errorf("what-if wrote a snapshot:\nbefore %s\nafter  %s", was, got)
	}
}

// editedFilter copies the filter package in dir to a temporary v1 folder,
// with the first old in its filter.yaml replaced by new.
func editedFilter(t *testing.T, dir, old, new string) string {
	t.Helper()
	other := filepath.Join(t.TempDir(), "v1")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"filter.yaml", "prompt.md", "README.md"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "filter.yaml" {
			if !strings.Contains(string(b), old) {
				t.Fatalf("%s/filter.yaml has no %q to replace", dir, old)
			}
			b = []byte(strings.Replace(string(b), old, new, 1))
		}
		if err := os.WriteFile(filepath.Join(other, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return other
}
