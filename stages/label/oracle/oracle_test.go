package oracle

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/filters"
)

// secretKey is the key the benchmarks send (the wire cases are in
// oracletest, run by conformance_test.go).
const secretKey = "sk-test-SECRET-never-print-me"

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

func TestRedact(t *testing.T) {
	t.Setenv("GEMINI_API_KEY", "AIzaEnvironmentKey123")
	for in, want := range map[string]string{
		"GET /v1?key=abc123&alt=json":                         "GET /v1?key=<redacted>&alt=json",
		"Authorization: Bearer sk-abc.def":                    "Authorization: Bearer <redacted>",
		`"authorization":["Bearer sk-abc"]`:                   `"authorization":["Bearer <redacted>"]`,
		"X-Goog-Api-Key: AIzaXYZ, next":                       "X-Goog-Api-Key: <redacted>, next",
		`{"x-goog-api-key": "AIzaXYZ"}`:                       `{"x-goog-api-key": "<redacted>"}`,
		"the key AIzaEnvironmentKey123 is wrong":              "the key <redacted> is wrong",
		"connection refused: dial tcp 127.0.0.1:1":            "connection refused: dial tcp 127.0.0.1:1",
		`{"error":{"message":"api_key=abc","code":"monkey"}}`: `{"error":{"message":"api_key=<redacted>","code":"monkey"}}`,
	} {
		if got := Redact(in); got != want || Redact(got) != got {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
