package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
)

// fakeGeminiRecording answers generateContent for any model like
// fakeGeminiFor, keeping each request's thinkingBudget ("none" without a
// thinking config) and whether its schema asks for evidence; answers have
// evidence only when the schema asks for it.
func fakeGeminiRecording(t *testing.T, f *filters.Filter) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			GenerationConfig struct {
				ThinkingConfig *struct {
					ThinkingBudget *int `json:"thinkingBudget"`
				} `json:"thinkingConfig"`
				Schema struct {
					Properties map[string]struct {
						Properties map[string]any `json:"properties"`
					} `json:"properties"`
				} `json:"responseJsonSchema"`
			} `json:"generationConfig"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		gc := body.GenerationConfig
		budget := "none"
		if gc.ThinkingConfig != nil && gc.ThinkingConfig.ThinkingBudget != nil {
			budget = fmt.Sprint(*gc.ThinkingConfig.ThinkingBudget)
		}
		_, evidence := gc.Schema.Properties[f.Dimensions[0].Name].Properties["evidence"]
		mu.Lock()
		seen = append(seen, fmt.Sprintf("thinking=%s evidence=%v", budget, evidence))
		k := len(seen)
		mu.Unlock()
		var parts []string
		for i, d := range f.Dimensions {
			if evidence {
				parts = append(parts, fmt.Sprintf(`"%s": {"score": %d, "evidence": "some words of evidence"}`, d.Name, (k+i)%11))
			} else {
				parts = append(parts, fmt.Sprintf(`"%s": {"score": %d}`, d.Name, (k+i)%11))
			}
		}
		text, _ := json.Marshal("{" + strings.Join(parts, ", ") + "}")
		out := 40
		if evidence {
			out = 150
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":%s}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":800,"candidatesTokenCount":%d}}`, text, out)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		s := seen
		seen = nil
		return s
	}
}

// copyFilter copies the shipped filter package to a folder of the test's,
// its filter.yaml edited by replacing old with new.
func copyFilter(t *testing.T, rel, old, new string) string {
	t.Helper()
	src := filepath.Join(testutil.RepoRoot(t), rel)
	dst := filepath.Join(t.TempDir(), filepath.Base(filepath.Dir(src)), filepath.Base(src))
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	des, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if de.Name() == filters.ConfigFile {
			if !strings.Contains(string(b), old) {
				t.Fatalf("%s has no %q", filters.ConfigFile, old)
			}
			b = []byte(strings.Replace(string(b), old, new, 1))
		}
		os.WriteFile(filepath.Join(dst, de.Name()), b, 0o644)
	}
	return dst
}

// label --thinking-budget and --evidence from the command line: the flags
// reach the wire (flash's default is thinking off, pro's 0 becomes 128 with
// a warning), each setting is asked once, filter.yaml's oracle section sets
// the defaults the flags override, the labels' settings, tokens and cost
// are queryable with distill sql, --estimate changes with both, and
// filter.yaml refuses a bogus evidence mode or a negative budget.
func TestCLI_LabelThinkingAndEvidence(t *testing.T) {
	fdir := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	f, err := filters.Load(fdir)
	if err != nil {
		t.Fatal(err)
	}
	lk := compressedAITech(t, fdir)
	srv, seen := fakeGeminiRecording(t, f)
	t.Setenv("GEMINI_API_KEY", "test-key-not-secret")
	label := func(dir string, args ...string) string {
		t.Helper()
		out, errOut := distill(t, 0, append([]string{"--lake", lk, "label", "--filter", dir, "--oracle", "gemini", "--base-url", srv.URL, "--sample", "5", "--seed", "1"}, args...)...)
		return out + errOut
	}
	sent := func(want string, n int) {
		t.Helper()
		got := seen()
		if len(got) != n {
			t.Fatalf("%d requests, want %d: %q", len(got), n, got)
		}
		for _, s := range got {
			if s != want {
				t.Fatalf("request sent %s, want %s", s, want)
			}
		}
	}

	label(fdir, "--model", "gemini-2.5-flash")
	sent("thinking=0 evidence=true", 5)
	label(fdir, "--model", "gemini-2.5-flash", "--evidence", "none")
	sent("thinking=0 evidence=false", 5)
	label(fdir, "--model", "gemini-2.5-flash", "--evidence", "none")
	sent("", 0)
	label(fdir, "--model", "gemini-2.5-flash", "--thinking-budget", "2048")
	sent("thinking=2048 evidence=true", 5)
	out := label(fdir, "--model", "gemini-2.5-pro", "--thinking-budget", "0")
	sent("thinking=128 evidence=true", 5)
	if !strings.Contains(out, "gemini-2.5-pro cannot turn thinking off: its minimum thinking budget, 128, is sent instead of 0") {
		t.Errorf("no warning for pro's thinking budget 0:\n%s", out)
	}
	label(fdir, "--model", "gemini-2.0-flash")
	sent("thinking=none evidence=true", 5)

	// filter.yaml's oracle section is the default; the flags override it.
	none := copyFilter(t, "filters/sustainability_tech_deployment/v1", "  max_output_tokens: 2048\n", "  max_output_tokens: 2048\n  evidence: none\n  thinking_budget: 2048\n")
	label(none, "--model", "gemini-2.5-flash")
	sent("thinking=2048 evidence=false", 5)
	label(none, "--model", "gemini-2.5-flash", "--evidence", "full", "--thinking-budget", "-1")
	sent("", 0) // the defaults: the first run's labels
	label(none, "--model", "gemini-2.5-flash-lite")
	sent("thinking=2048 evidence=false", 5)

	table, _ := distill(t, 0, "--lake", lk, "sql", "--filter", fdir, "--format", "csv",
		"SELECT model, evidence_mode, thinking_budget, count(*) AS n, sum(tokens_out) AS tokens_out, round(sum(cost_usd), 6) AS cost_usd FROM labels GROUP BY ALL ORDER BY ALL")
	want := "model,evidence_mode,thinking_budget,n,tokens_out,cost_usd\n" +
		"gemini-2.0-flash,full,,5,750,0.0007\n" +
		"gemini-2.5-flash,full,0,5,750,0.003075\n" +
		"gemini-2.5-flash,full,2048,5,750,0.003075\n" +
		"gemini-2.5-flash,none,0,5,200,0.0017\n" +
		"gemini-2.5-flash,none,2048,5,200,0.0017\n" +
		"gemini-2.5-flash-lite,none,2048,5,200,0.00048\n" +
		"gemini-2.5-pro,full,128,5,750,0.0125\n"
	if table != want {
		t.Errorf("labels by setting:\n%s\nwant:\n%s", table, want)
	}
	out, _ = distill(t, 0, "--lake", lk, "snapshots", "--json", f.Namespace()+".labels")
	if out = strings.ReplaceAll(out, " ", ""); !strings.Contains(out, `"evidence":"none"`) || !strings.Contains(out, `"thinking_budget":2048`) {
		t.Errorf("the labels snapshots do not record the settings: %s", out)
	}

	expected := regexp.MustCompile(`expected tokens: \d+ in, (\d+) out`)
	estimate := func(args ...string) (string, string) {
		t.Helper()
		out, _ := distill(t, 0, append([]string{"--lake", lk, "label", "--filter", fdir, "--oracle", "gemini", "--model", "gemini-2.5-flash", "--estimate"}, args...)...)
		m := expected.FindStringSubmatch(out)
		if m == nil || !strings.Contains(out, "assumed: per answer") {
			t.Fatalf("estimate %v printed:\n%s", args, out)
		}
		return m[1], out
	}
	full, _ := estimate()
	noEvidence, out := estimate("--evidence", "none")
	thinking, out2 := estimate("--thinking-budget", "1024")
	if full == noEvidence || full == thinking || !strings.Contains(out, "evidence none: scores only") || !strings.Contains(out2, "thinking_budget 1024") {
		t.Errorf("--estimate out tokens: %s by default, %s with --evidence none, %s with --thinking-budget 1024\n%s\n%s", full, noEvidence, thinking, out, out2)
	}

	for _, tc := range []struct{ edit, want string }{
		{"  evidence: bogus\n", `oracle.evidence: "bogus": want full, short, none`},
		{"  thinking_budget: -5\n", "oracle.thinking_budget: -5 is negative"},
	} {
		bad := copyFilter(t, "filters/sustainability_tech_deployment/v1", "  max_output_tokens: 2048\n", "  max_output_tokens: 2048\n"+tc.edit)
		_, errOut := distill(t, 1, "--lake", lk, "label", "--filter", bad, "--estimate")
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("filter.yaml with %q: %s", strings.TrimSpace(tc.edit), errOut)
		}
	}
}
