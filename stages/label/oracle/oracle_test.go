package oracle

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
)

const secretKey = "sk-test-SECRET-never-print-me"

// fakeAPI answers POSTs to path with status, body and header, after checking
// the key arrives in authHeader; it counts requests and keeps the last body.
func fakeAPI(t *testing.T, path, authHeader, authValue string, status int, body string, header map[string]string) (*httptest.Server, *atomic.Int64, *atomic.Value) {
	var n atomic.Int64
	var last atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if !strings.HasSuffix(r.URL.Path, path) || r.Method != http.MethodPost {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		}
		if r.Header.Get(authHeader) != authValue {
			t.Errorf("key not sent in %s", authHeader)
		}
		b, _ := io.ReadAll(r.Body)
		last.Store(string(b))
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n, &last
}

// geminiServer speaks the Gemini REST wire format: POST
// /v1beta/models/{model}:generateContent, key in x-goog-api-key.
func geminiServer(t *testing.T, status int, body string, header map[string]string) (*httptest.Server, *atomic.Int64, *atomic.Value) {
	return fakeAPI(t, "/v1beta/models/gemini-test:generateContent", "x-goog-api-key", secretKey, status, body, header)
}

func TestGemini_WireFormatAndUsage(t *testing.T) {
	t.Setenv("GEMINI_API_KEY", secretKey)
	ok := `{"candidates":[{"content":{"role":"model","parts":[{"text":"{\"a\": {\"score\": 7, \"evidence\": \"x\"}}"}]},"finishReason":"STOP"}],
	        "usageMetadata":{"promptTokenCount":120,"candidatesTokenCount":30,"totalTokenCount":150}}`
	srv, n, last := geminiServer(t, 200, ok, nil)
	g, err := NewGemini(context.Background(), "gemini-test", srv.URL, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	schema := map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "object"}}}
	resp, err := g.Call(context.Background(), Request{Prompt: "Score this", Schema: schema, Temperature: 0.2, MaxTokens: 512})
	if err != nil {
		t.Fatal(err)
	}
	if resp.TokensIn != 120 || resp.TokensOut != 30 || !strings.Contains(resp.Text, `"score": 7`) || n.Load() != 1 {
		t.Errorf("resp = %+v after %d requests", resp, n.Load())
	}
	var sent map[string]any
	json.Unmarshal([]byte(last.Load().(string)), &sent)
	gc, _ := sent["generationConfig"].(map[string]any)
	if gc["responseMimeType"] != "application/json" || gc["responseJsonSchema"] == nil || gc["maxOutputTokens"] != 512.0 {
		t.Errorf("generationConfig sent = %v", gc)
	}
}

func TestGemini_ErrorClasses(t *testing.T) {
	t.Setenv("GEMINI_API_KEY", secretKey)
	cases := []struct {
		name   string
		status int
		body   string
		header map[string]string
		class  Class
		after  time.Duration
	}{
		{"per-minute limit", 429, `{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED","details":[
			{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel"}]},
			{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"17s"}]}}`, nil, RateLimited, 17 * time.Second},
		{"per-day quota", 429, `{"error":{"code":429,"message":"You exceeded your current quota","status":"RESOURCE_EXHAUSTED","details":[
			{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}}`, nil, Quota, 0},
		{"retry-after header", 503, `{"error":{"code":503,"message":"The model is overloaded","status":"UNAVAILABLE"}}`, map[string]string{"Retry-After": "3"}, ServerError, 3 * time.Second},
		{"bad key", 403, `{"error":{"code":403,"message":"API key not valid","status":"PERMISSION_DENIED"}}`, nil, Auth, 0},
		{"bad request", 400, `{"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}}`, nil, BadRequest, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, n, _ := geminiServer(t, tc.status, tc.body, tc.header)
			g, _ := NewGemini(context.Background(), "gemini-test", srv.URL, 10*time.Second)
			_, err := g.Call(context.Background(), Request{Prompt: "p"})
			var e *Error
			if !errorsAs(err, &e) || e.Class != tc.class || e.RetryAfter != tc.after || e.Status != tc.status {
				t.Errorf("err = %#v, want class %s retry-after %v", err, tc.class, tc.after)
			}
			if n.Load() != 1 {
				t.Errorf("%d requests: the client must not retry on its own", n.Load())
			}
			if strings.Contains(err.Error(), secretKey) {
				t.Error("the error message holds the API key")
			}
		})
	}
}

// openaiServer speaks the OpenAI chat-completions wire format: POST
// /v1/chat/completions, key as a bearer token.
func openaiServer(t *testing.T, status int, body string, header map[string]string) (*httptest.Server, *atomic.Int64, *atomic.Value) {
	return fakeAPI(t, "/v1/chat/completions", "Authorization", "Bearer "+secretKey, status, body, header)
}

func TestOpenAI_WireFormatAndErrors(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", secretKey)
	ok := `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"deepseek-chat",
	  "choices":[{"index":0,"message":{"role":"assistant","content":"{\"a\":{\"score\":3,\"evidence\":\"y\"}}"},"finish_reason":"stop"}],
	  "usage":{"prompt_tokens":90,"completion_tokens":20,"total_tokens":110}}`
	srv, _, last := openaiServer(t, 200, ok, nil)
	o, err := NewOpenAI("deepseek-chat", srv.URL+"/v1", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := o.Call(context.Background(), Request{Prompt: "p", Temperature: 0.1, MaxTokens: 300})
	if err != nil || resp.TokensIn != 90 || resp.TokensOut != 20 || !strings.Contains(resp.Text, `"score":3`) {
		t.Fatalf("resp = %+v, %v", resp, err)
	}
	var sent map[string]any
	json.Unmarshal([]byte(last.Load().(string)), &sent)
	if rf, _ := sent["response_format"].(map[string]any); rf["type"] != "json_object" || sent["model"] != "deepseek-chat" {
		t.Errorf("request = %v", sent)
	}
	for _, tc := range []struct {
		status int
		body   string
		header map[string]string
		class  Class
	}{
		{429, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded","param":null}}`, map[string]string{"Retry-After": "2"}, RateLimited},
		{429, `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota","param":null}}`, nil, Quota},
		{402, `{"error":{"message":"Insufficient Balance","type":"unknown_error","code":"invalid_request_error","param":null}}`, nil, Quota},
		{401, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key","param":null}}`, nil, Auth},
		{500, `{"error":{"message":"internal","type":"server_error","code":null,"param":null}}`, nil, ServerError},
	} {
		srv, n, _ := openaiServer(t, tc.status, tc.body, tc.header)
		o, _ := NewOpenAI("m", srv.URL+"/v1", 10*time.Second)
		_, err := o.Call(context.Background(), Request{Prompt: "p"})
		if ClassOf(err) != tc.class || n.Load() != 1 {
			t.Errorf("HTTP %d: class %s after %d requests, want %s after 1 (%v)", tc.status, ClassOf(err), n.Load(), tc.class, err)
		}
		if tc.header != nil {
			var e *Error
			if errorsAs(err, &e); e.RetryAfter != 2*time.Second {
				t.Errorf("Retry-After not honoured: %v", e.RetryAfter)
			}
		}
	}
}

func TestOpenAI_Timeout(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", secretKey)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(300 * time.Millisecond) }))
	defer srv.Close()
	o, _ := NewOpenAI("m", srv.URL, 50*time.Millisecond)
	if _, err := o.Call(context.Background(), Request{Prompt: "p"}); ClassOf(err) != Timeout {
		t.Errorf("class = %s (%v), want timeout", ClassOf(err), err)
	}
}

func TestNoKey(t *testing.T) {
	t.Setenv("GEMINI_API_KEY", "")
	t.Setenv("OPENAI_API_KEY", "")
	if _, err := NewGemini(context.Background(), "m", "", time.Second); !errorsIs(err, ErrNoKey) {
		t.Errorf("gemini without a key: %v", err)
	}
	if _, err := NewOpenAI("m", "", time.Second); !errorsIs(err, ErrNoKey) {
		t.Errorf("openai without a key: %v", err)
	}
}

func TestKeywords_CountsAndLevels(t *testing.T) {
	f := &filters.Filter{Dimensions: []filters.Dimension{
		{Name: "stage", KeywordLevels: map[int][]string{9: {"commissioned"}, 5: {"pilot"}, 3: {"laborator*"}}},
		{Name: "climate", Keywords: []string{"emissions", "carbon", "clean energy", "decarboni*"}},
	}}
	k := NewKeywords(f)
	for _, tc := range []struct {
		text           string
		stage, climate float64
	}{
		{"A pilot plant in a laboratory cut carbon emissions.", 5, 5},
		{"The commissioned pilot decarbonises clean energy supply, cutting carbon and emissions.", 9, 10},
		{"Nothing relevant here.", 0, 0},
	} {
		resp, err := k.Call(context.Background(), Request{Input: tc.text})
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]struct{ Score float64 }
		json.Unmarshal([]byte(resp.Text), &got)
		if got["stage"].Score != tc.stage || got["climate"].Score != tc.climate {
			t.Errorf("%q: stage %v climate %v, want %v %v", tc.text, got["stage"].Score, got["climate"].Score, tc.stage, tc.climate)
		}
	}
	if k.Kind() != "keywords" || !strings.HasPrefix(k.Model(), "keywords") {
		t.Errorf("kind %s model %s", k.Kind(), k.Model())
	}
}
