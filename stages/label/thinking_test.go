package label_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
)

// recorder is a fake Gemini (generateContent) and OpenAI (chat
// completions) server that keeps every request body and answers in the
// shape asked: scores without evidence when the response schema (Gemini)
// or the prompt (OpenAI) asks for scores only. Gemini answers report
// thoughts when a thinking budget was sent.
type recorder struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
}

func newRecorder(t *testing.T, f *filters.Filter) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("request body: %v", err)
		}
		rec.mu.Lock()
		rec.bodies = append(rec.bodies, body)
		k := len(rec.bodies)
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/chat/completions") {
			prompt := fmt.Sprint(body["messages"])
			text, _ := json.Marshal(answer(f, k, !strings.Contains(prompt, "scores only")))
			fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200}}`, text)
			return
		}
		text, _ := json.Marshal(answer(f, k, schemaHasEvidence(body)))
		thoughts := 0
		if b, ok := thinkingBudgetOf(body); ok {
			thoughts = min(int(b), 300)
		}
		fmt.Fprintf(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":%s}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1000,"candidatesTokenCount":200,"thoughtsTokenCount":%d}}`, text, thoughts)
	}))
	t.Cleanup(rec.Close)
	return rec
}

// take returns the bodies received since the last take.
func (rec *recorder) take() []map[string]any {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	b := rec.bodies
	rec.bodies = nil
	return b
}

// answer is an answer's text: every dimension scored, with evidence or not.
func answer(f *filters.Filter, k int, evidence bool) string {
	var parts []string
	for i, d := range f.Dimensions {
		if evidence {
			parts = append(parts, fmt.Sprintf(`"%s": {"score": %d, "evidence": "e"}`, d.Name, (k+i)%11))
		} else {
			parts = append(parts, fmt.Sprintf(`"%s": {"score": %d}`, d.Name, (k+i)%11))
		}
	}
	return "{" + strings.Join(parts, ", ") + `, "content_type": "deployment_news"}`
}

// thinkingBudgetOf is generationConfig.thinkingConfig.thinkingBudget of a
// Gemini request body.
func thinkingBudgetOf(body map[string]any) (float64, bool) {
	gc, _ := body["generationConfig"].(map[string]any)
	tc, _ := gc["thinkingConfig"].(map[string]any)
	b, ok := tc["thinkingBudget"].(float64)
	return b, ok
}

// schemaHasEvidence says whether a Gemini request's response schema asks
// for the first dimension's evidence.
func schemaHasEvidence(body map[string]any) bool {
	gc, _ := body["generationConfig"].(map[string]any)
	schema, _ := gc["responseJsonSchema"].(map[string]any)
	props, _ := schema["properties"].(map[string]any)
	for name, p := range props {
		if name == "content_type" {
			continue
		}
		dim, _ := p.(map[string]any)
		inner, _ := dim["properties"].(map[string]any)
		_, ok := inner["evidence"]
		return ok
	}
	return false
}

func geminiModel(t *testing.T, url, model string) oracle.Oracle {
	t.Setenv("GEMINI_API_KEY", secret)
	g, err := oracle.NewGemini(context.Background(), model, url, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func ptr(n int) *int { return &n }

// The thinking config on the Gemini wire: distill's default for
// gemini-2.5-flash is 0 (off), gemini-2.5-pro cannot turn thinking off
// (0 asks for its minimum, 128, with a warning), gemini-2.0-flash is sent
// none (a budget asked for it is a warning), and a budget is sent as asked
// within the model's range. Each label records the budget sent.
func TestRun_ThinkingOnTheGeminiWire(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 60)
	rec := newRecorder(t, f)
	const n = 5
	for _, tc := range []struct {
		model  string
		budget *int
		sent   string // thinkingBudget on the wire, "none" when no thinking config
		warn   string
		row    string // thinking_budget/evidence_mode of the labels
	}{
		{"gemini-2.5-flash", nil, "0", "", "0/full"},
		{"gemini-2.5-pro", ptr(0), "128", "gemini-2.5-pro cannot turn thinking off: its minimum thinking budget, 128, is sent instead of 0", "128/full"},
		{"gemini-2.0-flash", ptr(512), "none", "gemini-2.0-flash takes no thinking budget", "NULL/full"},
		{"gemini-2.5-flash-lite", ptr(1024), "1024", "", "1024/full"},
		{"gemini-2.5-flash-lite-preview-06-17", ptr(100), "512", "gemini-2.5-flash-lite-preview-06-17's thinking budget is 512-24576: 512 is sent instead of 100", "512/full"},
	} {
		res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: geminiModel(t, rec.URL, tc.model), Sample: n, ThinkingBudget: tc.budget})
		if err != nil || res.Labeled != n {
			t.Fatalf("%s: %+v, %v", tc.model, res, err)
		}
		bodies := rec.take()
		for _, b := range bodies {
			sent := "none"
			if v, ok := thinkingBudgetOf(b); ok {
				sent = fmt.Sprint(v)
			}
			if sent != tc.sent {
				t.Errorf("%s: thinkingBudget sent %s, want %s", tc.model, sent, tc.sent)
				break
			}
		}
		warned := slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "thinking") })
		if tc.warn == "" && warned || tc.warn != "" && !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, tc.warn) }) {
			t.Errorf("%s: warnings %q, want %q", tc.model, res.Warnings, tc.warn)
		}
		rows := testutil.QueryStrings(t, l, fmt.Sprintf("SELECT DISTINCT coalesce(thinking_budget::VARCHAR, 'NULL') || '/' || evidence_mode FROM %s WHERE model = '%s'", spec.Labels.For(f), tc.model))
		if !slices.Equal(rows, []string{tc.row}) {
			t.Errorf("%s: labels record %v, want %s", tc.model, rows, tc.row)
		}
	}
	// Thoughts are billed as output: the budget's run paid for them.
	if got := testutil.QueryInt(t, l, "SELECT min(tokens_out) FROM "+spec.Labels.For(f).String()+" WHERE model = 'gemini-2.5-flash-lite'"); got != 500 {
		t.Errorf("tokens_out %d with thoughts, want 200 answer + 300 thought tokens", got)
	}
	// No budget for gemini-2.0-flash is no setting: the default run is done.
	again, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: geminiModel(t, rec.URL, "gemini-2.0-flash"), Sample: n})
	if err != nil || again.AlreadyDone != n || len(rec.take()) != 0 {
		t.Errorf("gemini-2.0-flash without a budget after one with: %+v, %v", again, err)
	}
}

// The settings' cache key: today's CacheKey under the default settings
// (gemini-2.5-flash now sent thinking off, pro its minimum), so no label
// made before is asked again; a budget other than the default is a key of
// its own, asked once; asking for the default explicitly asks nothing.
func TestRun_ThinkingCacheKey(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 40)
	rec := newRecorder(t, f)
	flash := geminiModel(t, rec.URL, "gemini-2.5-flash")
	m := passed(t, l, f)
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: flash}); err != nil || int64(len(rec.take())) != m {
		t.Fatalf("default run: %v", err)
	}
	pro := geminiModel(t, rec.URL, "gemini-2.5-pro")
	if _, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: pro, ThinkingBudget: ptr(0)}); err != nil || int64(len(rec.take())) != m {
		t.Fatalf("pro run: %v", err)
	}
	checkRepeatKeys(t, l, f, flash) // repeat 0's key is today's CacheKey
	checkRepeatKeys(t, l, f, pro)

	for _, tc := range []struct {
		name   string
		budget *int
		calls  int64
	}{
		{"budget 2048", ptr(2048), m},
		{"budget 2048 again", ptr(2048), 0},
		{"budget 0, the default, asked for", ptr(0), 0},
		{"-1, the default", ptr(-1), 0},
	} {
		res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: flash, ThinkingBudget: tc.budget})
		if got := int64(len(rec.take())); err != nil || got != tc.calls {
			t.Errorf("%s: %d calls, want %d (%+v, %v)", tc.name, got, tc.calls, res, err)
		}
	}
	key := label.CacheKey("gemini", "gemini-2.5-flash", "p", []byte("{}"), 0.2, 2048)
	if label.SettingsKey(key, "", "") != key || label.SettingsKey(key, filters.EvidenceFull, "") != key {
		t.Error("SettingsKey changes the key of the default settings")
	}
	if label.SettingsKey(key, filters.EvidenceFull, "thinking_budget=2048") == key || label.SettingsKey(key, filters.EvidenceNone, "") == key {
		t.Error("SettingsKey keeps the key of other settings")
	}
}

// The openai kind sends reasoning_effort only when a budget is set and the
// model is a reasoning model (o1, o3, o4, gpt-5); a budget for another
// model is not sent, warned of once, and recorded as none.
func TestRun_ThinkingOnTheOpenAIWire(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 60)
	rec := newRecorder(t, f)
	const n = 4
	for _, tc := range []struct {
		model  string
		budget *int
		effort string // "" when none is sent
		warn   string
		row    string
	}{
		{"gpt-4o-mini", ptr(2000), "", "gpt-4o-mini does not look like a reasoning model", "NULL/full"},
		{"o3-mini", nil, "", "", "NULL/full"},
		{"o3-mini-2025-01-31", ptr(2000), "medium", "", "2000/full"},
		{"o4-mini", ptr(500), "low", "", "500/full"},
		{"gpt-5-nano", ptr(20000), "high", "", "20000/full"},
	} {
		res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: openAI(t, rec.URL, tc.model), Sample: n, ThinkingBudget: tc.budget})
		if err != nil || res.Labeled != n {
			t.Fatalf("%s: %+v, %v", tc.model, res, err)
		}
		for _, b := range rec.take() {
			if got, _ := b["reasoning_effort"].(string); got != tc.effort {
				t.Errorf("%s: reasoning_effort %q, want %q", tc.model, got, tc.effort)
				break
			}
		}
		var warns []string
		for _, w := range res.Warnings {
			if strings.Contains(w, "reasoning") {
				warns = append(warns, w)
			}
		}
		if tc.warn == "" && len(warns) > 0 || tc.warn != "" && (len(warns) != 1 || !strings.HasPrefix(warns[0], tc.warn)) {
			t.Errorf("%s: warnings %q, want one starting %q", tc.model, warns, tc.warn)
		}
		rows := testutil.QueryStrings(t, l, fmt.Sprintf("SELECT DISTINCT coalesce(thinking_budget::VARCHAR, 'NULL') || '/' || evidence_mode FROM %s WHERE model = '%s'", spec.Labels.For(f), tc.model))
		if !slices.Equal(rows, []string{tc.row}) {
			t.Errorf("%s: labels record %v, want %s", tc.model, rows, tc.row)
		}
	}
}

// --estimate counts thought tokens (the budget, up to what the model is
// assumed to think unbounded) and an answer that shrinks with the evidence
// asked for, and says what it assumed.
func TestRun_EstimateCountsThinkingAndEvidence(t *testing.T) {
	ctx := context.Background()
	l, f := lakeWithCompressed(t, 40)
	t.Setenv("GEMINI_API_KEY", "")
	est := func(model, evidence string, budget *int) *label.Result {
		t.Helper()
		orc, err := oracle.New(ctx, oracle.Config{Kind: "gemini", Model: model, Filter: f, NoCalls: true})
		if err != nil {
			t.Fatal(err)
		}
		res, err := label.Run(ctx, l, label.Options{Filter: f, Oracle: orc, Estimate: true, Evidence: evidence, ThinkingBudget: budget})
		if err != nil || res.Misses == 0 {
			t.Fatalf("estimate %s %s %v: %+v, %v", model, evidence, budget, res, err)
		}
		return res
	}
	full := est("gemini-2.5-flash", "", nil)
	perAnswer := full.ExpectedOut / full.Misses
	if full.ExpectedThoughts != 0 || perAnswer != full.ExpectedAnswer || !strings.Contains(full.Assumption, "thinking off") || !strings.Contains(full.Assumption, "evidence full") {
		t.Errorf("default: %d out per answer, assumed %q", perAnswer, full.Assumption)
	}
	short, none := est("gemini-2.5-flash", filters.EvidenceShort, nil), est("gemini-2.5-flash", filters.EvidenceNone, nil)
	if !(none.ExpectedOut < short.ExpectedOut && short.ExpectedOut < full.ExpectedOut) || !strings.Contains(none.Assumption, "scores only") {
		t.Errorf("expected output none %d, short %d, full %d; want each below the next (%q)", none.ExpectedOut, short.ExpectedOut, full.ExpectedOut, none.Assumption)
	}
	if none.ExpectedIn <= full.ExpectedIn || none.ExpectedCost >= full.ExpectedCost {
		t.Errorf("none: %d in (full %d), $%f (full $%f): its prompt is a line longer, its answers cheaper", none.ExpectedIn, full.ExpectedIn, none.ExpectedCost, full.ExpectedCost)
	}
	think := est("gemini-2.5-flash", "", ptr(1024))
	if think.ExpectedThoughts != 1024 || think.ExpectedOut != full.ExpectedOut+1024*think.Misses || !strings.Contains(think.Assumption, "thinking_budget 1024") {
		t.Errorf("budget 1024: %d thoughts an answer, %d out (default %d), assumed %q", think.ExpectedThoughts, think.ExpectedOut, full.ExpectedOut, think.Assumption)
	}
	big := est("gemini-2.5-flash", "", ptr(16000)) // capped by the model's dynamic thinking
	if big.ExpectedThoughts >= 16000 || big.ExpectedThoughts <= 1024 {
		t.Errorf("budget 16000: %d thoughts an answer, want what flash thinks unbounded", big.ExpectedThoughts)
	}
	if !slices.ContainsFunc(big.Warnings, func(w string) bool {
		return strings.HasPrefix(w, "thinking_budget 16000 and an answer of ~300 tokens may not fit in max tokens 2048")
	}) {
		t.Errorf("budget 16000 past max tokens 2048: warnings %q", big.Warnings)
	}
	if pro := est("gemini-2.5-pro", "", nil); pro.ExpectedThoughts != 128 {
		t.Errorf("gemini-2.5-pro by default: %d thoughts an answer, want its minimum budget, 128", pro.ExpectedThoughts)
	}
	if !slices.ContainsFunc(think.Details(), func(s string) bool { return strings.HasPrefix(s, "assumed: per answer ~1024 thought + ") }) {
		t.Errorf("the estimate does not print its assumption: %q", think.Details())
	}
}

func TestOptions_ValidateSettings(t *testing.T) {
	f := testutil.Filter(t, "filters/sustainability_tech_deployment/v1")
	for _, tc := range []struct {
		opts label.Options
		want string
	}{
		{label.Options{Filter: f, Oracle: oracle.NewKeywords(f), Evidence: "bogus"}, `Evidence (--evidence) "bogus": want full, short, none`},
		{label.Options{Filter: f, Oracle: oracle.NewKeywords(f), ThinkingBudget: ptr(-2)}, "ThinkingBudget (--thinking-budget) is -2"},
	} {
		if err := tc.opts.Validate(); !errors.Is(err, label.ErrOptions) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate: %v, want ErrOptions saying %q", err, tc.want)
		}
	}
}
