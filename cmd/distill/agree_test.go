package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
)

// noiseModel is how a fake oracle answers: each dimension's true score (a
// function of the prompt, uniform on [3, 8]) plus offset plus normal noise
// of spread sd, clamped to 0-10.
type noiseModel struct{ offset, sd float64 }

// noisyOpenAI is an OpenAI-compatible server whose models answer by their
// noise model; every ask of one model and prompt draws fresh noise (seeded
// by model, prompt and the ask's number, so a run is reproducible).
func noisyOpenAI(t *testing.T, f *filters.Filter, models map[string]noiseModel) *httptest.Server {
	var mu sync.Mutex
	asked := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Content string `json:"content"`
			} `json:"messages"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &req); err != nil || len(req.Messages) == 0 {
			http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`, 400)
			return
		}
		nm, ok := models[req.Model]
		if !ok {
			http.Error(w, `{"error":{"message":"no such model","type":"invalid_request_error","code":"model_not_found"}}`, 404)
			return
		}
		prompt := req.Messages[0].Content
		mu.Lock()
		asked[req.Model+prompt]++
		n := asked[req.Model+prompt]
		mu.Unlock()
		// Seeds from sha256: nearby seeds of one PCG draw correlated noise.
		seed := func(s string) *rand.Rand {
			sum := sha256.Sum256([]byte(s))
			return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))
		}
		truth, noise := seed(prompt), seed(fmt.Sprintf("%s\x00%s\x00%d", prompt, req.Model, n))
		answer := map[string]any{}
		for _, d := range f.Dimensions {
			s := 3 + 5*truth.Float64() + nm.offset + nm.sd*noise.NormFloat64()
			answer[d.Name] = map[string]any{"score": math.Round(min(10, max(0, s))*100) / 100, "evidence": "the " + d.Name + " of the article"}
		}
		text, _ := json.Marshal(answer)
		quoted, _ := json.Marshal(string(text))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":%q,
			"choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],
			"usage":{"prompt_tokens":900,"completion_tokens":200,"total_tokens":1100}}`, req.Model, quoted)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestCLI_AgreeRecoversANoiseModel is issue 17's proof: two fake oracles
// with a known offset and noise label one seeded sample twice each, and
// distill agree recovers the offset within its interval and each oracle's
// noise; --json has the documented keys, every one a number; the export
// goes to a person and back as a third, human label source.
func TestCLI_AgreeRecoversANoiseModel(t *testing.T) {
	fdir := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	f, err := filters.Load(fdir)
	if err != nil {
		t.Fatal(err)
	}
	lk := compressedAITech(t, fdir)
	models := map[string]noiseModel{"flash": {0, 0.5}, "pro": {-1.5, 0.8}}
	srv := noisyOpenAI(t, f, models)
	t.Setenv("OPENAI_API_KEY", "test-key-not-secret")
	for _, m := range []string{"flash", "pro"} {
		distill(t, 0, "--lake", lk, "label", "--filter", fdir, "--oracle", "openai", "--model", m, "--base-url", srv.URL+"/v1",
			"--sample", "120", "--stratify", "tier", "--seed", "3", "--repeat", "2")
	}
	out, _ := distill(t, 0, "--lake", lk, "agree", "--filter", fdir, "--a", "openai/flash", "--b", "openai/pro", "--json")
	var res struct {
		Pairs []struct {
			Kind, A, B string
			Articles   int64
			Dimensions map[string]map[string]any
		}
		Alpha   map[string]struct{ Alpha float64 }
		Oracles []struct {
			Name         string
			Paid         int64
			TokensIn     float64 `json:"tokens_in_per_label"`
			TokensOut    float64 `json:"tokens_out_per_label"`
			CostPerLabel float64 `json:"cost_per_label"`
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("agree --json: %v\n%s", err, out)
	}
	// What each answer cost (twins share a paid answer): the fake bills 900 tokens in and 200 out; an
	// OpenAI-compatible model of no known price costs $0.
	for _, o := range res.Oracles {
		if o.Paid < 150 || o.Paid > 240 || o.TokensIn != 900 || o.TokensOut != 200 || o.CostPerLabel != 0 {
			t.Errorf("oracle %+v", o)
		}
	}
	if len(res.Pairs) != 3 {
		t.Fatalf("pairs: %+v", res.Pairs)
	}
	// Each figure within 4 standard errors of what the noise model implies:
	// a difference of normal noise of spread sd has E|d| = sd sqrt(2/pi),
	// and |d| a spread of sd sqrt(1 - 2/pi).
	meanAbs := func(sd float64) float64 { return sd * math.Sqrt(2/math.Pi) }
	seAbs := func(sd float64, n int64) float64 { return sd * math.Sqrt(1-2/math.Pi) / math.Sqrt(float64(n)) }
	covered := 0
	for _, p := range res.Pairs {
		// The sample's 120 articles, less the duplicates among them (one
		// question, asked once for all).
		if p.Articles < 80 || p.Articles > 120 {
			t.Errorf("%s %s-%s on %d articles, want the sample's distinct texts", p.Kind, p.A, p.B, p.Articles)
		}
		for _, d := range f.DimensionNames() {
			fig := p.Dimensions[d]
			num := map[string]float64{}
			for _, k := range []string{"mae", "offset", "mae_after_offset", "spearman", "alpha", "offset_low", "offset_high"} {
				v, ok := fig[k].(float64)
				if !ok {
					t.Fatalf("%s %s: %s is %v, not a number", p.Kind, d, k, fig[k])
				}
				num[k] = v
			}
			switch p.Kind {
			case "self":
				sd := models[strings.TrimPrefix(p.A, "openai/")].sd * math.Sqrt2
				if want := meanAbs(sd); math.Abs(num["mae"]-want) > 4*seAbs(sd, p.Articles) || math.Abs(num["offset"]) > 4*sd/math.Sqrt(float64(p.Articles)) {
					t.Errorf("%s %s: self-MAE %.3f (offset %.3f), want about %.3f", p.A, d, num["mae"], num["offset"], want)
				}
			case "pair":
				se := (num["offset_high"] - num["offset_low"]) / (2 * 1.959964)
				if p.A != "openai/flash" || math.Abs(num["offset"]+1.5) > 4*se {
					t.Errorf("%s - %s %s: offset %.3f [%.3f, %.3f], planted -1.5", p.B, p.A, d, num["offset"], num["offset_low"], num["offset_high"])
				}
				if num["offset_low"] <= -1.5 && -1.5 <= num["offset_high"] {
					covered++
				}
				// Single asks differ by N(0, 0.5² + 0.8²) once the offset is gone.
				sd := math.Sqrt(0.25 + 0.64)
				if want := meanAbs(sd); math.Abs(num["mae_after_offset"]-want) > 4*seAbs(sd, p.Articles) {
					t.Errorf("%s: MAE after the offset %.3f, want about %.3f", d, num["mae_after_offset"], want)
				}
			}
		}
	}
	if covered < len(f.Dimensions)-2 {
		t.Errorf("the offset's 95%% interval holds -1.5 on %d of %d dimensions", covered, len(f.Dimensions))
	}

	// A person judges the export; the judgments come back as oracle human.
	review := filepath.Join(t.TempDir(), "review.jsonl")
	out, _ = distill(t, 0, "--lake", lk, "agree", "--filter", fdir, "--export", review, "--top", "4")
	if !strings.Contains(out, "exported the 4 articles the oracles disagree on most to "+review) {
		t.Errorf("agree --export: %s", out)
	}
	raw, err := os.ReadFile(review)
	if err != nil {
		t.Fatal(err)
	}
	var judged []string
	for i, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if answers, _ := rec["answers"].([]any); len(answers) != 4 || rec["text"] == "" {
			t.Fatalf("review %d: %d answers, text %q", i, len(answers), rec["text"])
		}
		if i < 3 { // the fourth is left unjudged
			h := rec["human_analysis"].(map[string]any)
			for _, d := range f.DimensionNames() {
				h[d] = 5
			}
			h["reasoning"] = "judged by hand"
		}
		b, _ := json.Marshal(rec)
		judged = append(judged, string(b))
	}
	if err := os.WriteFile(review, []byte(strings.Join(judged, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ = distill(t, 0, "--lake", lk, "label", "import", "--filter", fdir, "--oracle", "human", "--model", "alice", "--key", "human_analysis", review)
	if !strings.Contains(out, "3 labels imported") || !strings.Contains(out, "1 rejected") {
		t.Errorf("import of the judged review: %s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "agree", "--filter", fdir, "--a", "human/alice", "--json")
	if !strings.Contains(out, `"b": "openai/flash"`) && !strings.Contains(out, `"b":"openai/flash"`) {
		t.Errorf("agree --a human/alice: %.400s", out)
	}
}

// compressedAITech is a lake of the real ai-tech sample, prefiltered and
// compressed for the filter in fdir.
func compressedAITech(t *testing.T, fdir string) string {
	t.Helper()
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/ai-tech-articles/ai-tech-articles.sample.jsonl.gz"))
	distill(t, 0, "--lake", lk, "prefilter", "--filter", fdir)
	distill(t, 0, "--lake", lk, "compress", "--filter", fdir)
	return lk
}

// TestCLI_AgreeSettingsAreOracles: one model under two answer settings is
// two oracles (its labels say which settings), never one oracle's repeats;
// --combine oracle=... names either.
func TestCLI_AgreeSettingsAreOracles(t *testing.T) {
	fdir := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	lk := compressedAITech(t, fdir)
	for _, ev := range []string{"full", "none"} {
		distill(t, 0, "--lake", lk, "label", "--filter", fdir, "--oracle", "simulate", "--model", "offset=0,noise=0.5", "--sample", "40", "--evidence", ev)
	}
	out, _ := distill(t, 0, "--lake", lk, "sql", "--filter", fdir, "--format", "csv",
		"SELECT coalesce(settings, '') AS settings, evidence_mode, count(*) AS n FROM labels WHERE oracle = 'simulate' GROUP BY ALL ORDER BY ALL")
	if out != "settings,evidence_mode,n\n,full,40\nevidence=none,none,40\n" {
		t.Errorf("labels by settings:\n%s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "agree", "--filter", fdir, "--json", "--a", "simulate/offset=0,noise=0.5", "--b", "simulate/offset=0,noise=0.5 evidence=none")
	var res struct{ Pairs []struct{ Kind, A, B string } }
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Pairs) != 1 || res.Pairs[0].Kind != "pair" {
		t.Errorf("two settings of one model: %+v", res.Pairs)
	}
	out, _ = distill(t, 0, "--lake", lk, "stats", "--filter", fdir, "--json", "--combine", "oracle=simulate/offset=0,noise=0.5 evidence=none")
	var st struct{ LabelRows, Articles int64 }
	if err := json.Unmarshal([]byte(strings.ReplaceAll(out, "label_rows", "labelrows")), &st); err != nil || st.LabelRows != 40 || st.Articles != 40 {
		t.Errorf("stats of one setting's labels: %+v, %v", st, err)
	}
}
