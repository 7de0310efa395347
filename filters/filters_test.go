package filters_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
)

func TestLoad_ShippedFilters(t *testing.T) {
	root := testutil.RepoRoot(t)
	for _, dir := range []string{"filters/sustainability_tech_deployment/v1", "filters/uplifting/v1"} {
		f, err := filters.Load(filepath.Join(root, dir))
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if len(f.Dimensions) != 8 || len(f.Tiers) != 4 || len(f.SHA256) != 64 {
			t.Errorf("%s: %d dimensions, %d tiers, sha %q", dir, len(f.Dimensions), len(f.Tiers), f.SHA256)
		}
		if got := f.RenderPrompt("ARTICLE TEXT"); !strings.Contains(got, "ARTICLE TEXT") || strings.Contains(got, filters.Placeholder) {
			t.Errorf("%s: prompt not rendered", dir)
		}
	}
	f, _ := filters.Load(filepath.Join(root, "filters/sustainability_tech_deployment/v1"))
	for _, tc := range []struct {
		scores map[string]float64
		tier   string
		gated  bool
	}{
		{map[string]float64{"deployment_stage": 9, "impact_magnitude": 9, "evidence_quality": 9, "technology_maturity": 9, "economic_viability": 8, "scalability": 8, "climate_relevance": 9, "specificity": 9}, "deployed", false},
		{map[string]float64{"deployment_stage": 9, "impact_magnitude": 9, "evidence_quality": 1, "technology_maturity": 9, "economic_viability": 8, "scalability": 8, "climate_relevance": 9, "specificity": 9}, "vaporware", true},
		{map[string]float64{"deployment_stage": 5, "impact_magnitude": 5, "evidence_quality": 5, "technology_maturity": 5, "economic_viability": 5, "scalability": 5, "climate_relevance": 5, "specificity": 5}, "pilot", false},
	} {
		overall, gated := f.ScoreOf(tc.scores)
		if got := f.TierOf(overall); got != tc.tier || gated != tc.gated {
			t.Errorf("scores %v: tier %s (overall %.2f, gated %v), want %s gated %v", tc.scores, got, overall, gated, tc.tier, tc.gated)
		}
	}
}

// scaffold makes a valid package to break.
func scaffold(t *testing.T) string {
	t.Helper()
	pkg, err := filters.Scaffold(t.TempDir(), "topic_x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := filters.Load(pkg); err != nil {
		t.Fatalf("scaffold does not validate: %v", err)
	}
	return pkg
}

func edit(t *testing.T, pkg, file, old, new string) {
	t.Helper()
	p := filepath.Join(pkg, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", file, old)
	}
	os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644)
}

func TestLoad_ValidationErrorsNameFileAndField(t *testing.T) {
	cases := []struct {
		name, file, old, new string
		want                 []string // substrings of the error
	}{
		{"weights", "filter.yaml", "weight: 0.4", "weight: 0.3", []string{"filter.yaml", "weight", "sum to 0.9"}},
		{"duplicate dimension", "filter.yaml", "name: evidence_quality", "name: relevance", []string{"dimensions[1].name", "duplicate"}},
		{"dimension named like a column", "filter.yaml", "name: evidence_quality", "name: relevance_raw", []string{"dimensions[1].name", `"relevance_raw" ends in _raw`, "rename the dimension"}},
		{"dimension named tier", "filter.yaml", "name: relevance", "name: tier", []string{"dimensions[0].name", "is a column of the labels, predictions or scores tables"}},
		{"not snake_case", "filter.yaml", "name: relevance", "name: Relevance Score", []string{"dimensions[0].name", "snake_case"}},
		{"tiers out of order", "filter.yaml", "min: 4.0", "min: 8.0", []string{"tiers[1].min", "not below"}},
		{"bad regex", "filter.yaml", `patterns: ['(?i)\b(buy now|use code|sponsored)\b']`, `patterns: ['(unclosed']`, []string{"prefilter.exclude[0].patterns[0]", "does not compile"}},
		{"no placeholder", "prompt.md", "{{article}}", "{{articles}}", []string{"prompt.md", "placeholder"}},
		{"dimension never named", "prompt.md", "- evidence_quality: how well it supports its claims.", "", []string{"prompt.md", "evidence_quality", "never names"}},
		{"unknown key", "filter.yaml", "head_chars: 2000", "head_charz: 2000", []string{"filter.yaml:", "prefilter.head_charz: unknown key (did you mean head_chars?)"}},
		{"wrong kind of value", "filter.yaml", "max_words: 800", "max_words: eight hundred", []string{"filter.yaml:", `compression.max_words: "eight hundred" is not a whole number`}},
		{"gatekeeper on unknown dimension", "filter.yaml", "dimension: evidence_quality", "dimension: evidence", []string{"gatekeepers[0].dimension", "not a dimension"}},
		{"unknown language", "filter.yaml", "  junk: true", "  languages: [en, fr, eng]\n  junk: true", []string{"filter.yaml:", `prefilter.languages[2]: "eng" is not a language detection knows (did you mean en?)`}},
		{"language with no near code", "filter.yaml", "  junk: true", "  languages: [english]\n  junk: true", []string{`prefilter.languages[0]: "english" is not a language detection knows: want an ISO 639-1 code, one of `, "de, el, en"}},
		{"duplicate language", "filter.yaml", "  junk: true", "  languages: [en, de, en]\n  junk: true", []string{`prefilter.languages[2]: "en" is a duplicate`}},
		{"lowest tier above 0", "filter.yaml", "min: 0\n", "min: 1\n", []string{"tiers[2].min", "start at 0"}},
		{"bogus evidence mode", "filter.yaml", "compression:\n", "oracle:\n  evidence: bogus\ncompression:\n", []string{"filter.yaml:", `oracle.evidence: "bogus": want full, short, none`}},
		{"negative thinking budget", "filter.yaml", "compression:\n", "oracle:\n  thinking_budget: -1\ncompression:\n", []string{"filter.yaml:", "oracle.thinking_budget: -1 is negative"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pkg := scaffold(t)
			edit(t, pkg, tc.file, tc.old, tc.new)
			_, err := filters.Load(pkg)
			if err == nil {
				t.Fatal("loaded without error")
			}
			if !errors.Is(err, filters.ErrInvalid) {
				t.Errorf("error is not ErrInvalid: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// oracle.evidence and oracle.thinking_budget load as written; left out,
// evidence is full and the budget unset (the model's default).
func TestLoad_OracleEvidenceAndThinking(t *testing.T) {
	pkg := scaffold(t)
	f, err := filters.Load(pkg)
	if err != nil {
		t.Fatal(err)
	}
	if f.Oracle.Evidence != filters.EvidenceFull || f.Oracle.ThinkingBudget != nil {
		t.Errorf("defaults: evidence %q, thinking budget %v; want full and unset", f.Oracle.Evidence, f.Oracle.ThinkingBudget)
	}
	edit(t, pkg, "filter.yaml", "compression:\n", "oracle:\n  evidence: none\n  thinking_budget: 0\ncompression:\n")
	if f, err = filters.Load(pkg); err != nil {
		t.Fatal(err)
	}
	if f.Oracle.Evidence != filters.EvidenceNone || f.Oracle.ThinkingBudget == nil || *f.Oracle.ThinkingBudget != 0 {
		t.Errorf("evidence %q, thinking budget %v; want none and 0", f.Oracle.Evidence, f.Oracle.ThinkingBudget)
	}
}

// Every problem of the file comes out of one Load, one line each, as
// file:line: key: problem, in the user's words (no Go type names, no float
// noise).
func TestLoad_EveryProblemInOnePass(t *testing.T) {
	pkg := scaffold(t)
	edit(t, pkg, "filter.yaml", "max_words: 800", "max_word: 800")
	edit(t, pkg, "filter.yaml", "weight: 0.4", "weight: 0.6")
	edit(t, pkg, "filter.yaml", `'(?i)\b(buy now`, `'(?i\b(buy now`)
	_, err := filters.Load(pkg)
	if err == nil {
		t.Fatal("loaded without error")
	}
	cfg := filepath.Join(pkg, "filter.yaml")
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		fmt.Sprintf("%s:%d: dimensions[].weight: weights sum to 1.2, not 1", cfg, lineOf(t, cfg, "dimensions:")),
		fmt.Sprintf("%s:%d: prefilter.exclude[0].patterns[0]: regex", cfg, lineOf(t, cfg, "(?i\\b")),
		fmt.Sprintf("%s:%d: compression.max_word: unknown key (did you mean max_words?)", cfg, lineOf(t, cfg, "max_word:")),
	}
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(strings.TrimSpace(l), w)
		}
		if !found {
			t.Errorf("no line starts %q in\n%v", w, err)
		}
	}
	for _, bad := range []string{"filters.", "not found in type", "0000000"} {
		if strings.Contains(err.Error(), bad) {
			t.Errorf("error says %q:\n%v", bad, err)
		}
	}
}

// lineOf is the 1-based line of file holding s.
func lineOf(t *testing.T, file, s string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%s has no %q", file, s)
	return 0
}

func TestCheckRatios_NumbersAsWritten(t *testing.T) {
	err := filters.CheckRatios([]float64{0.1, 0.2, 0.9})
	if err == nil || !strings.Contains(err.Error(), "0.1, 0.2, 0.9 sum to 1.2, not 1") {
		t.Errorf("err = %v, want it to say 0.1, 0.2, 0.9 sum to 1.2, not 1", err)
	}
}

// A new filter is usable offline as it comes: the keywords oracle has
// terms for every dimension, so it does not score everything 0, and the
// terms say they are placeholders.
func TestScaffold_EveryDimensionHasKeywords(t *testing.T) {
	pkg := scaffold(t)
	f, err := filters.Load(pkg)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Dimensions {
		if len(d.Keywords)+len(d.KeywordLevels) == 0 {
			t.Errorf("dimension %s has no keywords or keyword_levels", d.Name)
		}
	}
	b, _ := os.ReadFile(filepath.Join(pkg, filters.ConfigFile))
	for _, want := range []string{"placeholder", "min_chars: 300", "shorter than 300 characters"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("scaffold's filter.yaml does not say %q", want)
		}
	}
}

func TestLoad_SHAChangesWithAnyFile(t *testing.T) {
	pkg := scaffold(t)
	a, _ := filters.Load(pkg)
	b, _ := filters.Load(pkg)
	if a.SHA256 != b.SHA256 {
		t.Fatal("sha256 not stable")
	}
	edit(t, pkg, "README.md", "v1", "v1 (edited)")
	c, _ := filters.Load(pkg)
	if c.SHA256 == a.SHA256 {
		t.Error("editing README.md did not change the sha256")
	}
	if _, err := filters.Scaffold(filepath.Dir(filepath.Dir(pkg)), "topic_x"); err == nil {
		t.Error("scaffold overwrote an existing package")
	}
}

func TestWriteBuiltin_SameAsTheRepository(t *testing.T) {
	if got := filters.Builtin(); len(got) != 2 {
		t.Fatalf("built-in filters = %v", got)
	}
	dir, err := filters.WriteBuiltin(t.TempDir(), "sustainability_tech_deployment/v1")
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := filters.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := filters.Load(filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1"))
	if embedded.SHA256 != repo.SHA256 {
		t.Error("the embedded package differs from filters/ in the repository")
	}
}

// A test-only split (a model trained elsewhere, evaluated on these labels)
// and a split with no test set are allowed; ratios must still sum to 1.
func TestCheckRatios_EmptyTrainOrVal(t *testing.T) {
	for _, r := range [][]float64{{0, 0, 1}, {0.9, 0.1, 0}, {0, 0.5, 0.5}} {
		if err := filters.CheckRatios(r); err != nil {
			t.Errorf("%v: %v", r, err)
		}
	}
	if err := filters.CheckRatios([]float64{0, 0, 0}); err == nil {
		t.Error("0, 0, 0 accepted")
	}
}

// A dimension cannot be named filter: distill score --out names each row's
// filter in a column of that name (DuckDB renamed the dimension filter_1).
func TestReservedDimensionName_Filter(t *testing.T) {
	if filters.ReservedDimensionName("filter") == "" {
		t.Error("filter is not reserved")
	}
}
