package oracle

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/compress"
)

// inProcess answers every request at once with body, without a network: a
// benchmark through it measures a client library's own CPU.
type inProcess struct{ body []byte }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)), Request: r}, nil
}

// BenchmarkClientLibrary is one labeling call through each client library
// with the request distill sends (the sustainability prompt around a real
// BBC technology article rendered by compress.Render, the response schema)
// and an in-process transport: ns/op, one goroutine that never waits, is the
// library's own CPU a call, with no network, no kernel and no distill code
// around it.
func BenchmarkClientLibrary(b *testing.B) {
	f, err := filters.Load(filepath.Join(testutil.RepoRoot(b), "filters/sustainability_tech_deployment/v1"))
	if err != nil {
		b.Fatal(err)
	}
	settings, err := compress.SettingsFor(f)
	if err != nil {
		b.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(testutil.Shared(b, "corpus/bbc-fulltext/bbc/tech"), "*.txt"))
	if len(files) == 0 {
		b.Fatal("no BBC technology articles")
	}
	schema, _ := json.Marshal(ResponseSchema(f))
	var reqs []Request
	for _, p := range files[:min(50, len(files))] {
		raw, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		title, body, _ := strings.Cut(string(raw), "\n")
		text := compress.Render(compress.Article{Title: title, Content: body}, settings).Text
		reqs = append(reqs, Request{Prompt: f.RenderPrompt(text), SchemaJSON: schema, Temperature: 0.1, MaxTokens: 2048})
	}
	var size int
	for _, r := range reqs {
		size += len(r.Prompt)
	}
	var parts []string
	for _, d := range f.Dimensions {
		parts = append(parts, `"`+d.Name+`": {"score": 6, "evidence": "The 300 MW farm has run since 2024."}`)
	}
	answer := "{" + strings.Join(parts, ", ") + `, "content_type": "deployment_news"}`
	quoted, _ := json.Marshal(answer)

	gem := []byte(`{"candidates":[{"content":{"role":"model","parts":[{"text":` + string(quoted) + `}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1000,"candidatesTokenCount":200}}`)
	gc, err := genai.NewClient(context.Background(), &genai.ClientConfig{APIKey: secretKey, Backend: genai.BackendGeminiAPI,
		HTTPClient: &http.Client{Transport: inProcess{gem}}, HTTPOptions: genai.HTTPOptions{BaseURL: "http://gemini.invalid"}})
	if err != nil {
		b.Fatal(err)
	}
	chat := []byte(`{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":` + string(quoted) + `},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200}}`)
	oc := openai.NewClient(option.WithAPIKey(secretKey), option.WithMaxRetries(0), option.WithBaseURL("http://openai.invalid/v1"),
		option.WithHTTPClient(&http.Client{Transport: inProcess{chat}}))
	for _, o := range []Oracle{&Gemini{client: gc, model: "gemini-2.5-flash"}, &OpenAI{client: oc, model: "gpt-4o-mini"}} {
		b.Run(o.Kind(), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				resp, err := o.Call(context.Background(), reqs[i%len(reqs)])
				if err != nil || resp.Text != answer {
					b.Fatalf("%q, %v", resp.Text, err)
				}
			}
			b.ReportMetric(float64(size)/float64(len(reqs)), "prompt_bytes")
			if o.Kind() == "gemini" { // openai-go asks for a JSON object, no schema
				b.ReportMetric(float64(len(schema)), "schema_bytes")
			}
		})
	}
}
