package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
)

func TestCLI_Label(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	distill(t, 0, "demo", "--dir", dir, "--articles", "300")
	lk, f := filepath.Join(dir, "lake"), filepath.Join(dir, "filters/sustainability_tech_deployment/v1")

	// The demo labeled everything with the keywords oracle: a rerun has nothing to do.
	out, _ := distill(t, 0, "--lake", lk, "label", "--filter", f, "--oracle", "keywords", "--json")
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil || res["rows_in"].(float64) == 0 || res["already_labeled"] != res["rows_in"] || res["labeled"] != 0.0 {
		t.Fatalf("keywords label rerun: %s", out)
	}

	// Gemini against a local server speaking its wire format.
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.Copy(io.Discard, r.Body)
		var parts []string
		for _, d := range []string{"deployment_stage", "impact_magnitude", "evidence_quality", "technology_maturity", "economic_viability", "scalability", "climate_relevance", "specificity"} {
			parts = append(parts, fmt.Sprintf(`\"%s\": {\"score\": 8, \"evidence\": \"e\"}`, d))
		}
		fmt.Fprintf(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":"{%s}"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":800,"candidatesTokenCount":150}}`, strings.Join(parts, ", "))
	}))
	defer srv.Close()
	// An estimate makes no call, so it needs no key; labeling does.
	t.Setenv("GEMINI_API_KEY", "")
	out, _ = distill(t, 0, "--lake", lk, "label", "--filter", f, "--oracle", "gemini", "--estimate")
	if !strings.Contains(out, "calls to make") || !strings.Contains(out, "expected cost: $") {
		t.Errorf("estimate without a key: %q", out)
	}
	if _, errOut := distill(t, 1, "--lake", lk, "label", "--filter", f, "--oracle", "gemini", "--target-count", "1"); !strings.Contains(errOut, "GEMINI_API_KEY") {
		t.Errorf("labeling without a key: %q", errOut)
	}
	t.Setenv("GEMINI_API_KEY", "test-key-not-secret")
	out, _ = distill(t, 0, "--lake", lk, "label", "--filter", f, "--oracle", "gemini", "--base-url", srv.URL, "--estimate")
	if !strings.Contains(out, "expected cost: $") || calls.Load() != 0 {
		t.Errorf("estimate: %q after %d calls", out, calls.Load())
	}
	out, _ = distill(t, 0, "--lake", lk, "label", "--filter", f, "--oracle", "gemini", "--base-url", srv.URL, "--target-count", "7")
	if !strings.Contains(out, "7 labeled") || calls.Load() != 7 || !strings.Contains(out, "stopped early: target_count") {
		t.Errorf("target count: %q after %d calls", out, calls.Load())
	}
	out, _ = distill(t, 0, "--lake", lk, "sql", "--filter", f, "--format", "csv", "SELECT oracle, tier, count(*) FROM labels WHERE oracle = 'gemini' GROUP BY ALL")
	if out != "oracle,tier,count_star()\ngemini,deployed,7\n" {
		t.Errorf("gemini labels: %q", out)
	}
	_, stderr := distill(t, 1, "--lake", lk, "label", "--filter", f, "--oracle", "openai")
	if !strings.Contains(stderr, "--model") {
		t.Errorf("openai without a model: %q", stderr)
	}

	// A refused key stops at once, and the key is in no output.
	const key = "AIza-SECRET-0123456789-abcdef"
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(403)
		io.WriteString(w, `{"error":{"code":403,"message":"API key not valid. Please pass a valid API key.","status":"PERMISSION_DENIED"}}`)
	}))
	defer bad.Close()
	t.Setenv("GEMINI_API_KEY", key)
	out, stderr = distill(t, 1, "--lake", lk, "label", "--filter", f, "--oracle", "gemini", "--base-url", bad.URL, "--full")
	if !strings.Contains(stderr, "API key") || strings.Contains(out+stderr, key) {
		t.Errorf("auth failure output: %q %q", out, stderr)
	}

	// Import both real shapes' first batch into the uplifting filter.
	up := filepath.Join(testutil.RepoRoot(t), "filters/uplifting/v1")
	ref := testutil.Shared(t, "reference/llm-distillery/filters/uplifting/v4/validation_scored/uplifting/scored_batch_001.jsonl")
	out, _ = distill(t, 0, "--lake", lk, "label", "import", "--filter", up, ref)
	if !strings.Contains(out, "16 labels imported") {
		t.Errorf("import: %q", out)
	}
}
