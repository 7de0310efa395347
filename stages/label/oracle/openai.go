package oracle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// OpenAI asks any OpenAI-compatible chat-completions server (OpenAI,
// DeepSeek, vLLM, Ollama, llama.cpp) through openai-go, in JSON mode.
type OpenAI struct {
	client openai.Client
	model  string
}

// NewOpenAI makes an OpenAI-compatible oracle. The key comes from
// OPENAI_API_KEY (local servers accept any value); baseURL picks the server.
func NewOpenAI(model, baseURL string, timeout time.Duration) (*OpenAI, error) {
	key := os.Getenv("OPENAI_API_KEY")
	if key == "" {
		return nil, fmt.Errorf("%w: set OPENAI_API_KEY (any value for a local server)", ErrNoKey)
	}
	opts := []option.RequestOption{option.WithAPIKey(key), option.WithMaxRetries(0),
		option.WithHTTPClient(&http.Client{Transport: transport(), Timeout: timeout})}
	if baseURL != "" {
		opts = append(opts, option.WithBaseURL(baseURL))
	}
	return &OpenAI{client: openai.NewClient(opts...), model: model}, nil
}

// Kind is "openai".
func (o *OpenAI) Kind() string { return "openai" }

// Model is the served model name.
func (o *OpenAI) Model() string { return o.model }

// Call sends one chat completion with a JSON-object response format.
func (o *OpenAI) Call(ctx context.Context, req Request) (Response, error) {
	params := openai.ChatCompletionNewParams{
		Model:       o.model,
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage(req.Prompt)},
		Temperature: openai.Float(req.Temperature),
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONObject: &openai.ResponseFormatJSONObjectParam{},
		},
	}
	if req.MaxTokens > 0 {
		params.MaxTokens = openai.Int(int64(req.MaxTokens))
	}
	if req.ReasoningEffort != "" {
		params.ReasoningEffort = shared.ReasoningEffort(req.ReasoningEffort)
	}
	var httpResp *http.Response
	resp, err := o.client.Chat.Completions.New(ctx, params, option.WithResponseInto(&httpResp))
	if err != nil {
		return Response{}, classifyOpenAI(err)
	}
	out := Response{TokensIn: int(resp.Usage.PromptTokens), TokensOut: int(resp.Usage.CompletionTokens)}
	if len(resp.Choices) > 0 {
		out.Text = resp.Choices[0].Message.Content
	}
	if out.Text == "" {
		return out, &Error{Class: Invalid, Msg: "empty response"}
	}
	return out, nil
}

func classifyOpenAI(err error) error {
	var api *openai.Error
	if errors.As(err, &api) {
		e := &Error{Class: classifyStatus(api.StatusCode), Status: api.StatusCode, Msg: Redact(api.Message)}
		if api.Response != nil {
			e.RetryAfter = parseRetryAfter(api.Response.Header.Get("Retry-After"))
		}
		// "insufficient_quota" is a 429 that no wait will fix.
		if api.Code == "insufficient_quota" || strings.Contains(strings.ToLower(api.Message), "insufficient balance") {
			e.Class = Quota
		}
		return e
	}
	e := classifyTransport(err)
	if e.Class == Unknown && strings.Contains(e.Msg, "timeout") {
		e.Class = Timeout
	}
	return e
}
