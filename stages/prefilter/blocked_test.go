package prefilter_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/prefilter"
)

// seedLabels imports labels for a long on-topic article (s-long) and a short
// one (s-short), and ingests one more short article without a label.
func seedLabels(t *testing.T, l *lake.Lake) {
	t.Helper()
	dir := t.TempDir()
	long := strings.Repeat("A 50 MW solar farm and a wind farm were commissioned and are in operation. ", 8)
	analysis := `"sustainability_tech_deployment_analysis":{"deployment_stage":7,"impact_magnitude":5,"evidence_quality":5,"technology_maturity":6,"economic_viability":5,"scalability":5,"climate_relevance":6,"specificity":5}`
	seed := `{"id":"s-long","title":"Solar farm","content":"` + long + `",` + analysis + "}\n" +
		`{"id":"s-short","title":"Solar farm","content":"A short note on a solar farm.",` + analysis + "}\n"
	p := filepath.Join(dir, "seed.jsonl")
	if err := os.WriteFile(p, []byte(seed), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := label.Import(context.Background(), l, load(t, stdv1), []string{p}); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.jsonl")
	os.WriteFile(other, []byte(`{"id":"u-short","title":"Wind","content":"A short note on wind power."}`+"\n"), 0o644)
	ingestPaths(t, l, other)
}

// A rule's toll is in the summary, rule by rule, and a rule that blocks
// articles someone already labeled (seed or imported labels) is a warning:
// min_chars: 300 used to drop short labeled articles without a word.
func TestRun_BlockedByRuleAndLabeled(t *testing.T) {
	l := testutil.NewLake(t)
	seedLabels(t, l)
	res, err := prefilter.Run(context.Background(), l, prefilter.Options{Filter: load(t, stdv1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.BlockedBy) != 1 || res.BlockedBy[0] != (prefilter.RuleCount{Rule: "min_chars", N: 2, Labeled: 1}) {
		t.Errorf("BlockedBy = %+v, want min_chars blocking 2, 1 of them labeled", res.BlockedBy)
	}
	if d := res.Details(); !slices.Contains(d, "blocked: min_chars 2") {
		t.Errorf("details %q lack the blocked line", d)
	}
	want := "min_chars blocks 1 labeled article"
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], want) {
		t.Errorf("warnings = %q, want one starting %q", res.Warnings, want)
	}
}

// --what-if says which rules would newly block labeled articles.
func TestWhatIf_LabeledBlocked(t *testing.T) {
	l := testutil.NewLake(t)
	seedLabels(t, l)
	base := load(t, stdv1)
	dir := t.TempDir()
	for _, name := range []string{"filter.yaml", "prompt.md", "README.md"} {
		b, _ := os.ReadFile(filepath.Join(testutil.RepoRoot(t), stdv1, name))
		if name == "filter.yaml" {
			b = []byte(strings.Replace(string(b), "min_chars: 300", "min_chars: 5000", 1))
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	edited, err := filters.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := prefilter.WhatIf(context.Background(), l, base, edited, lake.Ref{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.BlockedBy) != 1 || res.BlockedBy[0] != (prefilter.RuleCount{Rule: "min_chars", N: 1, Labeled: 1}) {
		t.Errorf("BlockedBy = %+v, want min_chars blocking 1 more, 1 labeled", res.BlockedBy)
	}
	want := "min_chars would block 1 more labeled article"
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], want) {
		t.Errorf("warnings = %q, want one starting %q", res.Warnings, want)
	}
}
