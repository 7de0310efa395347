package oracletest

import (
	"fmt"
	"testing"
	"time"

	"github.com/distillery/distillery/stages/label/oracle"
)

// GeminiModel is the model the Gemini wire's path names.
const GeminiModel = "gemini-test"

// Gemini is the Gemini REST wire format: POST
// /v1beta/models/{model}:generateContent, key in x-goog-api-key, errors as
// google.rpc statuses with details.
var Gemini = &Wire{
	KeyEnv:     "GEMINI_API_KEY",
	Path:       "/v1beta/models/" + GeminiModel + ":generateContent",
	AuthHeader: "x-goog-api-key", AuthValue: SecretKey,
	Answer: func(text string, in, out int) string {
		return fmt.Sprintf(`{"candidates":[{"content":{"role":"model","parts":[{"text":%s}]},"finishReason":"STOP"}],
			"usageMetadata":{"promptTokenCount":%d,"candidatesTokenCount":%d,"totalTokenCount":%d}}`, quote(text), in, out, in+out)
	},
	Error: func(status int, msg string) string {
		return fmt.Sprintf(`{"error":{"code":%d,"message":%s,"status":"ERROR"}}`, status, quote(msg))
	},
	CheckRequest: func(t *testing.T, sent map[string]any) {
		gc, _ := sent["generationConfig"].(map[string]any)
		if gc["responseMimeType"] != "application/json" || gc["responseJsonSchema"] == nil || gc["maxOutputTokens"] != 512.0 {
			t.Errorf("generationConfig sent = %v", gc)
		}
	},
	Thinking: func(sent map[string]any) string {
		gc, _ := sent["generationConfig"].(map[string]any)
		tc, ok := gc["thinkingConfig"].(map[string]any)
		if !ok {
			return ""
		}
		return fmt.Sprintf("thinkingBudget=%v", tc["thinkingBudget"])
	},
	ThinkingSent: "thinkingBudget=0",
	Errors: []ErrorCase{
		{Name: "per-minute limit", Status: 429, Body: `{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED","details":[
			{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel"}]},
			{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"17s"}]}}`, Class: oracle.RateLimited, RetryAfter: 17 * time.Second},
		{Name: "per-day quota", Status: 429, Body: `{"error":{"code":429,"message":"You exceeded your current quota","status":"RESOURCE_EXHAUSTED","details":[
			{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}}`, Class: oracle.Quota},
		{Name: "bad key", Status: 403, Body: `{"error":{"code":403,"message":"API key not valid","status":"PERMISSION_DENIED"}}`, Class: oracle.Auth},
		{Name: "bad request", Status: 400, Body: `{"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}}`, Class: oracle.BadRequest},
	},
}

// OpenAIModel is the model the OpenAI wire expects in requests.
const OpenAIModel = "deepseek-chat"

// OpenAI is the OpenAI chat-completions wire format: POST
// /v1/chat/completions, key as a bearer token, errors with a type and code.
var OpenAI = &Wire{
	KeyEnv:     "OPENAI_API_KEY",
	Path:       "/v1/chat/completions",
	AuthHeader: "Authorization", AuthValue: "Bearer " + SecretKey,
	Answer: func(text string, in, out int) string {
		return fmt.Sprintf(`{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":%q,
			"choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],
			"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`, OpenAIModel, quote(text), in, out, in+out)
	},
	Error: func(status int, msg string) string {
		return fmt.Sprintf(`{"error":{"message":%s,"type":"invalid_request_error","code":null,"param":null}}`, quote(msg))
	},
	CheckRequest: func(t *testing.T, sent map[string]any) {
		if rf, _ := sent["response_format"].(map[string]any); rf["type"] != "json_object" || sent["model"] != OpenAIModel || sent["max_tokens"] != 512.0 {
			t.Errorf("request = %v", sent)
		}
	},
	Thinking: func(sent map[string]any) string {
		if e, ok := sent["reasoning_effort"]; ok {
			return fmt.Sprintf("reasoning_effort=%v", e)
		}
		return ""
	},
	ThinkingSent: "reasoning_effort=low",
	Errors: []ErrorCase{
		{Name: "rate limit", Status: 429, Body: `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded","param":null}}`, Header: map[string]string{"Retry-After": "2"}, Class: oracle.RateLimited, RetryAfter: 2 * time.Second},
		{Name: "insufficient quota", Status: 429, Body: `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota","param":null}}`, Class: oracle.Quota},
		{Name: "insufficient balance", Status: 402, Body: `{"error":{"message":"Insufficient Balance","type":"unknown_error","code":"invalid_request_error","param":null}}`, Class: oracle.Quota},
		{Name: "bad key", Status: 401, Body: `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key","param":null}}`, Class: oracle.Auth},
		{Name: "server error", Status: 500, Body: `{"error":{"message":"internal","type":"server_error","code":null,"param":null}}`, Class: oracle.ServerError},
	},
}
