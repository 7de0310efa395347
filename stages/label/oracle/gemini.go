package oracle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genai"
)

// Gemini asks Google's Gemini API through the genai client, in JSON mode
// with a response schema built from the filter's dimensions.
type Gemini struct {
	client *genai.Client
	model  string
}

// ErrNoKey means the API key variable is not set.
var ErrNoKey = errors.New("no API key")

// NewGemini makes a Gemini oracle. The key comes from GEMINI_API_KEY (never a
// flag, so it stays out of shell history and snapshot properties); baseURL
// points it at a proxy or a local test server.
func NewGemini(ctx context.Context, model, baseURL string, timeout time.Duration) (*Gemini, error) {
	key := os.Getenv("GEMINI_API_KEY")
	if key == "" {
		return nil, fmt.Errorf("%w: set GEMINI_API_KEY", ErrNoKey)
	}
	one := int32(1) // no retries inside the client: the labeler retries by class
	hc := &http.Client{Transport: retryAfterTransport{transport()}, Timeout: timeout}
	c, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey: key, Backend: genai.BackendGeminiAPI, HTTPClient: hc,
		HTTPOptions: genai.HTTPOptions{BaseURL: baseURL, RetryOptions: &genai.HTTPRetryOptions{Attempts: &one}},
	})
	if err != nil {
		return nil, fmt.Errorf("gemini client: %w", err)
	}
	return &Gemini{client: c, model: model}, nil
}

// Kind is "gemini".
func (g *Gemini) Kind() string { return "gemini" }

// Model is the Gemini model name.
func (g *Gemini) Model() string { return g.model }

// Call sends one GenerateContent request.
func (g *Gemini) Call(ctx context.Context, req Request) (Response, error) {
	cfg := generateConfig(req)
	holder := &retryAfter{}
	ctx = context.WithValue(ctx, retryAfterKey{}, holder)
	resp, err := g.client.Models.GenerateContent(ctx, g.model, genai.Text(req.Prompt), cfg)
	if err != nil {
		return Response{}, classifyGemini(err, holder.d)
	}
	out := Response{Text: resp.Text()}
	if u := resp.UsageMetadata; u != nil {
		out.TokensIn, out.TokensOut = int(u.PromptTokenCount), int(u.CandidatesTokenCount)+int(u.ThoughtsTokenCount)
	}
	if out.Text == "" {
		reason := "empty response"
		if len(resp.Candidates) > 0 && resp.Candidates[0].FinishReason != "" {
			reason = "empty response, finish reason " + string(resp.Candidates[0].FinishReason)
		}
		return out, &Error{Class: Invalid, Msg: reason}
	}
	return out, nil
}

func classifyGemini(err error, retryAfter time.Duration) error {
	var api genai.APIError
	if !errors.As(err, &api) {
		var pa *genai.APIError
		if errors.As(err, &pa) {
			api = *pa
		} else {
			return classifyTransport(err)
		}
	}
	e := &Error{Class: classifyStatus(api.Code), Status: api.Code, Msg: Redact(api.Message), RetryAfter: retryAfter}
	for _, d := range api.Details {
		typ, _ := d["@type"].(string)
		switch {
		case strings.HasSuffix(typ, "RetryInfo"):
			if s, ok := d["retryDelay"].(string); ok {
				if dur, err := time.ParseDuration(s); err == nil {
					e.RetryAfter = dur
				}
			}
		case strings.HasSuffix(typ, "QuotaFailure"):
			// A per-day quota will not refill in minutes: stop instead of retrying.
			if vs, ok := d["violations"].([]any); ok {
				for _, v := range vs {
					if m, ok := v.(map[string]any); ok {
						id, _ := m["quotaId"].(string)
						if strings.Contains(strings.ToLower(id), "perday") {
							e.Class = Quota
						}
					}
				}
			}
		}
	}
	return e
}

// retryAfterTransport records a response's Retry-After header for the caller.
type retryAfterTransport struct{ base http.RoundTripper }

type retryAfterKey struct{}

type retryAfter struct{ d time.Duration }

func (t retryAfterTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		if h, ok := req.Context().Value(retryAfterKey{}).(*retryAfter); ok {
			h.d = parseRetryAfter(resp.Header.Get("Retry-After"))
		}
	}
	return resp, err
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// BatchItem is one request of a batch job; Meta travels with it and comes
// back with its response (the labeler puts the cache key and article id there).
type BatchItem struct {
	Meta map[string]string
	Req  Request
}

// BatchResult is one answer of a finished batch job.
type BatchResult struct {
	Meta map[string]string
	Resp Response
	Err  error
}

// SubmitBatch creates one Batch API job (about half the price of live calls)
// and returns its name, e.g. batches/123.
func (g *Gemini) SubmitBatch(ctx context.Context, display string, items []BatchItem) (string, error) {
	reqs := make([]*genai.InlinedRequest, len(items))
	for i, it := range items {
		reqs[i] = &genai.InlinedRequest{Contents: genai.Text(it.Req.Prompt), Metadata: it.Meta, Config: generateConfig(it.Req)}
	}
	job, err := g.client.Batches.Create(ctx, g.model, &genai.BatchJobSource{InlinedRequests: reqs}, &genai.CreateBatchJobConfig{DisplayName: display})
	if err != nil {
		return "", classifyGemini(err, 0)
	}
	return job.Name, nil
}

// BatchState reports a job's state (JOB_STATE_…) and, once it succeeded, its answers.
func (g *Gemini) BatchState(ctx context.Context, name string) (string, []BatchResult, error) {
	job, err := g.client.Batches.Get(ctx, name, nil)
	if err != nil {
		return "", nil, classifyGemini(err, 0)
	}
	state := string(job.State)
	if job.State != genai.JobStateSucceeded || job.Dest == nil {
		return state, nil, nil
	}
	var out []BatchResult
	for _, r := range job.Dest.InlinedResponses {
		br := BatchResult{Meta: r.Metadata}
		switch {
		case r.Error != nil:
			code := 0
			if r.Error.Code != nil {
				code = int(*r.Error.Code)
			}
			e := &Error{Class: classifyStatus(code), Status: code, Msg: Redact(r.Error.Message)}
			if e.Class == Unknown {
				e.Class = ServerError
			}
			br.Err = e
		case r.Response != nil:
			br.Resp.Text = r.Response.Text()
			if u := r.Response.UsageMetadata; u != nil {
				br.Resp.TokensIn, br.Resp.TokensOut = int(u.PromptTokenCount), int(u.CandidatesTokenCount)+int(u.ThoughtsTokenCount)
			}
		}
		out = append(out, br)
	}
	return state, out, nil
}

// generateConfig is the request's generation config, live or batched: JSON
// mode with the response schema, and a thinking budget only when the
// request sets one (genai sends it as generationConfig.thinkingConfig.thinkingBudget).
func generateConfig(req Request) *genai.GenerateContentConfig {
	temp := float32(req.Temperature)
	cfg := &genai.GenerateContentConfig{
		Temperature:        &temp,
		MaxOutputTokens:    int32(req.MaxTokens),
		ResponseMIMEType:   "application/json",
		ResponseJsonSchema: schemaOf(req),
	}
	if req.ThinkingBudget != nil {
		b := *req.ThinkingBudget
		cfg.ThinkingConfig = &genai.ThinkingConfig{ThinkingBudget: &b}
	}
	return cfg
}

// schemaOf prefers the encoded schema: the client marshals the whole request
// on every call, and raw JSON costs far less to marshal than a nested map.
func schemaOf(req Request) any {
	if len(req.SchemaJSON) > 0 {
		return json.RawMessage(req.SchemaJSON)
	}
	if req.Schema == nil {
		return nil
	}
	return req.Schema
}
