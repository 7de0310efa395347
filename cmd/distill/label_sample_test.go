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

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
)

// fakeGeminiFor answers generateContent for any model with the filter's
// dimensions, counting the requests.
func fakeGeminiFor(t *testing.T, f *filters.Filter) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := calls.Add(1)
		io.Copy(io.Discard, r.Body)
		var parts []string
		for i, d := range f.Dimensions {
			parts = append(parts, fmt.Sprintf(`\"%s\": {\"score\": %d, \"evidence\": \"e\"}`, d.Name, (int(k)+i)%11))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":"{%s}"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":800,"candidatesTokenCount":150}}`, strings.Join(parts, ", "))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// label --sample, --repeat and --rpd from the command line: two models
// given one seed label the same articles, repeats are rows of their own,
// and the daily quota stops a run with exit 0, saying when to rerun.
func TestCLI_LabelSampleRepeatRPD(t *testing.T) {
	fdir := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	f, err := filters.Load(fdir)
	if err != nil {
		t.Fatal(err)
	}
	lk := compressedAITech(t, fdir)
	srv, calls := fakeGeminiFor(t, f)
	t.Setenv("GEMINI_API_KEY", "test-key-not-secret")
	label := func(args ...string) string {
		out, _ := distill(t, 0, append([]string{"--lake", lk, "label", "--filter", fdir, "--oracle", "gemini", "--base-url", srv.URL}, args...)...)
		return out
	}
	ids := func(model string) string {
		out, _ := distill(t, 0, "--lake", lk, "sql", "--filter", fdir, "--format", "csv",
			fmt.Sprintf("SELECT DISTINCT id FROM labels WHERE model = '%s' ORDER BY id", model))
		return out
	}

	label("--model", "gemini-2.5-flash", "--sample", "6", "--seed", "5")
	label("--model", "gemini-2.5-flash-lite", "--sample", "6", "--seed", "5")
	if a, b := ids("gemini-2.5-flash"), ids("gemini-2.5-flash-lite"); a != b || strings.Count(a, "\n") != 7 || calls.Load() != 12 {
		t.Errorf("--sample 6 --seed 5 with two models (%d calls):\n%s\n%s", calls.Load(), a, b)
	}
	out, _ := distill(t, 0, "--lake", lk, "snapshots", "--json", f.Namespace()+".labels")
	out = strings.ReplaceAll(out, " ", "")
	if !strings.Contains(out, `"sample":6`) || !strings.Contains(out, `"seed":5`) || !strings.Contains(out, `"stratify":"none"`) {
		t.Errorf("the labels snapshots do not record the sample: %s", out)
	}

	calls.Store(0)
	label("--model", "gemini-2.5-pro", "--sample", "4", "--repeat", "3")
	out, _ = distill(t, 0, "--lake", lk, "sql", "--filter", fdir, "--format", "csv",
		"SELECT repeat, count(*) AS n FROM labels WHERE model = 'gemini-2.5-pro' GROUP BY repeat ORDER BY repeat")
	if out != "repeat,n\n0,4\n1,4\n2,4\n" || calls.Load() != 12 {
		t.Errorf("--sample 4 --repeat 3: %d calls, labels by repeat:\n%s", calls.Load(), out)
	}

	calls.Store(0)
	out = label("--model", "gemini-2.0-flash", "--rpd", "3")
	if calls.Load() != 3 || !strings.Contains(out, "stopped early: rpd") || !strings.Contains(out, "next request may be made at") {
		t.Errorf("--rpd 3: %d calls, output:\n%s", calls.Load(), out)
	}
	out = label("--model", "gemini-2.0-flash", "--rpd", "3", "--json")
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil || res["stopped"] != "rpd" || res["next_request_at"] == nil || calls.Load() != 3 {
		t.Errorf("--rpd 3 again the same day: %d calls in all, %s", calls.Load(), out)
	}

	_, stderr := distill(t, 1, "--lake", lk, "label", "--filter", fdir, "--stratify", "tier")
	if !strings.Contains(stderr, "--sample") {
		t.Errorf("--stratify tier without --sample: %q", stderr)
	}
}
