// Package oracletest is the conformance suite every oracle runs: Run checks,
// against fake servers that speak the oracle's real wire format, what the
// labeler relies on (answers passed through verbatim with token usage, one
// request per call, failures classified, keys never in an error). Each
// oracle's conformance_test.go only calls Run.
package oracletest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
)

// SecretKey is the API key Run sets; no error an oracle returns may hold it.
const SecretKey = "sk-test-SECRET-never-print-me"

// Target is what an oracle under test is built for.
type Target struct {
	// URL is the fake server's base URL (an oracle's own path prefix, such
	// as OpenAI's /v1, is the factory's to add).
	URL     string
	Timeout time.Duration
	Filter  *filters.Filter
}

// Factory builds the oracle under test.
type Factory func(t *testing.T, at Target) oracle.Oracle

// Wire is an API's wire format, as the fake servers speak it.
type Wire struct {
	// KeyEnv is the variable the oracle reads its key from.
	KeyEnv string
	// Path is the path a call posts to; AuthHeader carries AuthValue.
	Path                  string
	AuthHeader, AuthValue string
	// Answer is a success body carrying text and token usage.
	Answer func(text string, tokensIn, tokensOut int) string
	// Error is an error body with the status and message.
	Error func(status int, message string) string
	// CheckRequest checks the decoded body of a call made with
	// Temperature 0.2 and MaxTokens 512.
	CheckRequest func(t *testing.T, body map[string]any)
	// Errors are failures only this API signals (its quota and retry hints).
	Errors []ErrorCase
	// Thinking reads what a request body carries of a thinking setting
	// ("" when nothing): Gemini's thinkingBudget, OpenAI's reasoning_effort.
	Thinking func(body map[string]any) string
	// ThinkingSent is what Thinking must read from a call with
	// ThinkingBudget 0 and ReasoningEffort low: each API sends its own.
	ThinkingSent string
}

// ErrorCase is one failing answer and how it must be classified.
type ErrorCase struct {
	Name       string
	Status     int
	Body       string
	Header     map[string]string
	Class      oracle.Class
	RetryAfter time.Duration
}

// Filter is the filter the suite labels for: one dimension scored by
// keyword levels, one by keyword counts.
func Filter() *filters.Filter {
	return &filters.Filter{Dimensions: []filters.Dimension{
		{Name: "stage", KeywordLevels: map[int][]string{9: {"commissioned"}, 5: {"pilot"}, 3: {"laborator*"}}},
		{Name: "climate", Keywords: []string{"emissions", "carbon", "clean energy", "decarboni*"}},
	}}
}

// Run runs the conformance suite. wire is nil for an offline oracle: only
// the cases that need no server run.
func Run(t *testing.T, wire *Wire, newOracle Factory) {
	if wire != nil {
		t.Setenv(wire.KeyEnv, SecretKey)
	}
	t.Run("KindAndModel", func(t *testing.T) { testKindAndModel(t, newOracle) })
	t.Run("Canceled", func(t *testing.T) { testCanceled(t, wire, newOracle) })
	if wire == nil {
		t.Run("AnswersEveryDimension", func(t *testing.T) { testOffline(t, newOracle) })
		return
	}
	t.Run("Success", func(t *testing.T) { testSuccess(t, wire, newOracle) })
	t.Run("MalformedAnswerRepaired", func(t *testing.T) { testMalformed(t, wire, newOracle) })
	t.Run("MissingDimension", func(t *testing.T) { testMissingDimension(t, wire, newOracle) })
	t.Run("ErrorClasses", func(t *testing.T) { testErrorClasses(t, wire, newOracle) })
	t.Run("Thinking", func(t *testing.T) { testThinking(t, wire, newOracle) })
	t.Run("Timeout", func(t *testing.T) { testTimeout(t, newOracle) })
	t.Run("Connection", func(t *testing.T) { testConnection(t, newOracle) })
	t.Run("EchoedKeyRedacted", func(t *testing.T) { testEchoedKey(t, wire, newOracle) })
}

// server answers each call with status, body and header after checking
// the wire's path, method and key; it counts calls and keeps the last body.
type server struct {
	*httptest.Server
	calls atomic.Int64
	last  atomic.Value
}

func newServer(t *testing.T, w *Wire, status int, body string, header map[string]string) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		if !strings.HasSuffix(r.URL.Path, w.Path) || r.Method != http.MethodPost {
			t.Errorf("unexpected request %s %s, want POST %s", r.Method, r.URL.Path, w.Path)
		}
		if r.Header.Get(w.AuthHeader) != w.AuthValue {
			t.Errorf("key not sent in %s", w.AuthHeader)
		}
		b, _ := io.ReadAll(r.Body)
		s.last.Store(string(b))
		for k, v := range header {
			rw.Header().Set(k, v)
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(status)
		io.WriteString(rw, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func target(url string) Target { return Target{URL: url, Timeout: 10 * time.Second, Filter: Filter()} }

// call makes one call and checks the server saw exactly one request: the
// labeler, not the client library, decides about retries.
func call(t *testing.T, o oracle.Oracle, s *server, req oracle.Request) (oracle.Response, error) {
	t.Helper()
	resp, err := o.Call(context.Background(), req)
	if n := s.calls.Load(); n != 1 {
		t.Errorf("%d requests for one call: the client must not retry on its own", n)
	}
	if err != nil && strings.Contains(err.Error(), SecretKey) {
		t.Errorf("the error holds the API key: %v", err)
	}
	return resp, err
}

const goodAnswer = `{"stage": {"score": 7, "evidence": "x"}, "climate": {"score": 3, "evidence": "y"}}`

func testKindAndModel(t *testing.T, newOracle Factory) {
	o := newOracle(t, target("http://127.0.0.1:1"))
	switch o.Kind() {
	case "gemini", "openai", "keywords", "simulate":
	default:
		t.Errorf("Kind() = %q, want gemini, openai, keywords or simulate", o.Kind())
	}
	if o.Model() == "" {
		t.Error("Model() is empty: every label records it")
	}
}

func testCanceled(t *testing.T, wire *Wire, newOracle Factory) {
	url := "http://127.0.0.1:1"
	if wire != nil {
		url = newServer(t, wire, 200, wire.Answer(goodAnswer, 1, 1), nil).URL
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newOracle(t, target(url)).Call(ctx, oracle.Request{Prompt: "p", Input: "a pilot plant"}); err == nil {
		t.Error("a call with a canceled context succeeded")
	}
}

func testOffline(t *testing.T, newOracle Factory) {
	o := newOracle(t, target(""))
	resp, err := o.Call(context.Background(), oracle.Request{Input: "A pilot plant in a laboratory cut carbon emissions."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := label.Parse(Filter(), resp.Text); err != nil {
		t.Errorf("answer %s does not validate: %v", resp.Text, err)
	}
}

func testSuccess(t *testing.T, wire *Wire, newOracle Factory) {
	s := newServer(t, wire, 200, wire.Answer(goodAnswer, 120, 30), nil)
	o := newOracle(t, target(s.URL))
	resp, err := call(t, o, s, oracle.Request{Prompt: "Score this", Schema: oracle.ResponseSchema(Filter()), Temperature: 0.2, MaxTokens: 512})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != goodAnswer || resp.TokensIn != 120 || resp.TokensOut != 30 {
		t.Errorf("resp = %+v, want the answer verbatim with 120 tokens in and 30 out", resp)
	}
	if _, err := label.Parse(Filter(), resp.Text); err != nil {
		t.Errorf("the answer does not validate: %v", err)
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(s.last.Load().(string)), &sent); err != nil {
		t.Fatalf("request body: %v", err)
	}
	wire.CheckRequest(t, sent)
}

// A call sends a thinking setting only when the request sets one, each API
// its own (the labeler decides per model which to set).
func testThinking(t *testing.T, wire *Wire, newOracle Factory) {
	zero := int32(0)
	for _, tc := range []struct {
		name string
		req  oracle.Request
		want string
	}{
		{"none set", oracle.Request{Prompt: "p", MaxTokens: 512}, ""},
		{"both set", oracle.Request{Prompt: "p", MaxTokens: 512, ThinkingBudget: &zero, ReasoningEffort: "low"}, wire.ThinkingSent},
	} {
		s := newServer(t, wire, 200, wire.Answer(goodAnswer, 1, 1), nil)
		if _, err := call(t, newOracle(t, target(s.URL)), s, tc.req); err != nil {
			t.Fatal(err)
		}
		var sent map[string]any
		if err := json.Unmarshal([]byte(s.last.Load().(string)), &sent); err != nil {
			t.Fatalf("request body: %v", err)
		}
		if got := wire.Thinking(sent); got != tc.want {
			t.Errorf("%s: the request carries thinking %q, want %q (body %s)", tc.name, got, tc.want, s.last.Load())
		}
	}
}

// An answer wrapped in a code fence, with a trailing comma, reaches the
// labeler as it came: the oracle neither refuses nor rewrites it.
func testMalformed(t *testing.T, wire *Wire, newOracle Factory) {
	text := "```json\n" + strings.Replace(goodAnswer, `"y"}}`, `"y"},}`, 1) + "\n```"
	s := newServer(t, wire, 200, wire.Answer(text, 10, 5), nil)
	resp, err := call(t, newOracle(t, target(s.URL)), s, oracle.Request{Prompt: "p"})
	if err != nil || resp.Text != text {
		t.Fatalf("resp = %+v, %v; want the text verbatim", resp, err)
	}
	sc, err := label.Parse(Filter(), resp.Text)
	if err != nil || sc.Repaired == "" || sc.Values["stage"] != 7 {
		t.Errorf("Parse = %+v, %v; want it repaired", sc, err)
	}
}

// An answer without a dimension is the labeler's to refuse (and ask again
// with the validation error), not the oracle's.
func testMissingDimension(t *testing.T, wire *Wire, newOracle Factory) {
	text := `{"stage": {"score": 7, "evidence": "x"}}`
	s := newServer(t, wire, 200, wire.Answer(text, 10, 5), nil)
	resp, err := call(t, newOracle(t, target(s.URL)), s, oracle.Request{Prompt: "p"})
	if err != nil || resp.Text != text {
		t.Fatalf("resp = %+v, %v; want the text verbatim", resp, err)
	}
	var ve *label.ValidationError
	if _, err := label.Parse(Filter(), resp.Text); !errors.As(err, &ve) || !strings.Contains(err.Error(), "climate") {
		t.Errorf("Parse: %v, want a ValidationError naming climate", err)
	}
}

func testErrorClasses(t *testing.T, wire *Wire, newOracle Factory) {
	cases := []ErrorCase{
		{Name: "429 with retry-after", Status: 429, Body: wire.Error(429, "Rate limit reached"), Header: map[string]string{"Retry-After": "2"}, Class: oracle.RateLimited, RetryAfter: 2 * time.Second},
		{Name: "503 with retry-after", Status: 503, Body: wire.Error(503, "The model is overloaded"), Header: map[string]string{"Retry-After": "3"}, Class: oracle.ServerError, RetryAfter: 3 * time.Second},
		{Name: "500", Status: 500, Body: wire.Error(500, "internal"), Class: oracle.ServerError},
		{Name: "401", Status: 401, Body: wire.Error(401, "Incorrect API key provided"), Class: oracle.Auth},
		{Name: "403", Status: 403, Body: wire.Error(403, "API key not valid"), Class: oracle.Auth},
		{Name: "400", Status: 400, Body: wire.Error(400, "Invalid JSON payload"), Class: oracle.BadRequest},
	}
	for _, tc := range append(cases, wire.Errors...) {
		t.Run(tc.Name, func(t *testing.T) {
			s := newServer(t, wire, tc.Status, tc.Body, tc.Header)
			_, err := call(t, newOracle(t, target(s.URL)), s, oracle.Request{Prompt: "p"})
			var e *oracle.Error
			if !errors.As(err, &e) || e.Class != tc.Class || e.Status != tc.Status || e.RetryAfter != tc.RetryAfter {
				t.Fatalf("err = %#v (%v), want class %s, HTTP %d, retry after %v", err, err, tc.Class, tc.Status, tc.RetryAfter)
			}
			if want := tc.Class == oracle.RateLimited || tc.Class == oracle.ServerError; e.Retryable() != want {
				t.Errorf("Retryable() = %v for %s", e.Retryable(), tc.Class)
			}
		})
	}
}
