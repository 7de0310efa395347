// Package oracle is the one interface every labeler backend implements
// (Oracle), with the Gemini (genai), OpenAI-compatible (openai-go) and
// offline keywords implementations, and the error classes the labeler acts on.
package oracle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/distillery/distillery/filters"
)

// Request is one labeling call.
type Request struct {
	// Prompt is the filter's prompt.md rendered with Input.
	Prompt string
	// Input is the model input alone (compress.Render's text); only offline
	// oracles read it, API oracles get Prompt.
	Input string
	// Schema is the JSON schema of the expected object; SchemaJSON, when set,
	// is the same schema already encoded (a labeling run encodes it once).
	Schema      map[string]any
	SchemaJSON  []byte
	Temperature float64
	MaxTokens   int
	// Repeat is which ask of this prompt the call is (label --repeat: 0 for
	// the first): only the simulate oracle reads it, to draw fresh noise.
	Repeat int
	// ThinkingBudget, when set, is sent to Gemini as
	// generationConfig.thinkingConfig.thinkingBudget (0: no thinking); nil
	// sends no thinking config (the model's own default). The labeler
	// decides per model what may be sent.
	ThinkingBudget *int32
	// ReasoningEffort, when set, is sent to an OpenAI-compatible server as
	// reasoning_effort (low, medium, high); "" sends none.
	ReasoningEffort string
}

// Response is what the oracle answered.
type Response struct {
	Text      string
	TokensIn  int
	TokensOut int
}

// Oracle answers labeling prompts.
type Oracle interface {
	// Kind is gemini, openai or keywords.
	Kind() string
	// Model is the model name recorded with every label.
	Model() string
	// Call asks once: no retries here (the labeler decides by error class).
	Call(ctx context.Context, req Request) (Response, error)
}

// Class is how the labeler treats a failure.
type Class string

// Failure classes.
const (
	RateLimited Class = "rate_limited" // 429 per-minute limits: retry after a delay
	ServerError Class = "server_error" // 5xx: retry with backoff
	Timeout     Class = "timeout"      // the call took too long: retry
	Auth        Class = "auth"         // 401/403: stop at once
	Quota       Class = "quota"        // per-day quota or no balance: stop cleanly, resume later
	BadRequest  Class = "bad_request"  // 400 and the like: record, do not retry
	Invalid     Class = "invalid"      // an answer that does not validate
	Connection  Class = "connection"   // refused, no such host, TLS failure: the server cannot be reached
	Unknown     Class = "unknown"
)

// Error is a classified oracle failure.
type Error struct {
	Class  Class
	Status int
	// RetryAfter is the delay the server asked for (Retry-After, RetryInfo), if any.
	RetryAfter time.Duration
	Msg        string
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s (HTTP %d): %s", e.Class, e.Status, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Class, e.Msg)
}

// Retryable reports whether asking again may succeed.
func (e *Error) Retryable() bool {
	return e.Class == RateLimited || e.Class == ServerError || e.Class == Timeout
}

// ClassOf returns the class of err (Unknown for an unclassified error).
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Timeout
	}
	return Unknown
}

// classifyStatus maps an HTTP status to a class.
func classifyStatus(status int) Class {
	switch {
	case status == 429:
		return RateLimited
	case status == 401 || status == 403:
		return Auth
	case status == 402:
		return Quota
	case status == 408 || status == 504:
		return Timeout
	case status >= 500:
		return ServerError
	case status >= 400:
		return BadRequest
	}
	return Unknown
}

// transport is the HTTP transport of the API oracles: Go's default, but
// keeping up to 64 idle connections to the API host instead of 2 and with
// buffers large enough that a request goes out in one write. Both matter
// for HTTP/1.1 servers (vLLM, Ollama, llama.cpp, proxies, the test
// servers): with 16 calls in flight, a default transport closes most
// connections a call returns and opens new ones. Over TLS the public APIs
// speak HTTP/2, one multiplexed connection, which these settings leave alone.
func transport() http.RoundTripper {
	d, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport // replaced by the program: use it as it is
	}
	t := d.Clone()
	t.MaxIdleConnsPerHost = 64
	t.WriteBufferSize = 64 << 10
	t.ReadBufferSize = 64 << 10
	return t
}

// ResponseSchema is the JSON schema the oracle answers in: for every
// dimension an object with an integer score 0-10 and a short evidence string,
// plus content_type.
func ResponseSchema(f *filters.Filter) map[string]any {
	return ResponseSchemaFor(f, filters.EvidenceFull)
}

// ResponseSchemaFor is the response schema under an evidence mode
// (filters.Evidence*): full and short are ResponseSchema (short only asks
// for fewer words, in the prompt); none drops evidence, each dimension an
// object with its score alone.
func ResponseSchemaFor(f *filters.Filter, evidence string) map[string]any {
	props := map[string]any{}
	var required []string
	for _, d := range f.Dimensions {
		dim := map[string]any{
			"type":        "object",
			"description": d.Description,
			"properties": map[string]any{
				"score":    map[string]any{"type": "integer", "minimum": 0, "maximum": 10},
				"evidence": map[string]any{"type": "string"},
			},
			"required": []string{"score", "evidence"},
		}
		if evidence == filters.EvidenceNone {
			dim["properties"] = map[string]any{"score": map[string]any{"type": "integer", "minimum": 0, "maximum": 10}}
			dim["required"] = []string{"score"}
		}
		props[d.Name] = dim
		required = append(required, d.Name)
	}
	props["content_type"] = map[string]any{"type": "string"}
	return map[string]any{"type": "object", "properties": props, "required": required}
}
