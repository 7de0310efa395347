package oracle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/distillery/distillery/filters"
)

// Config names an oracle: what New builds.
type Config struct {
	// Kind is gemini, openai, keywords ("" is keywords) or simulate.
	Kind string
	// Model is the model asked; "" is the filter's oracle.model, then
	// DefaultModel(Kind). An OpenAI-compatible server has no default.
	Model string
	// BaseURL points an API oracle at a proxy or a local server.
	BaseURL string
	// Timeout bounds one call (0: DefaultTimeout).
	Timeout time.Duration
	// Filter gives the keywords oracle its keywords and the default model.
	Filter *filters.Filter
	// NoCalls says no call will be made (label --estimate): an API oracle
	// whose key is not set is then built without a client, so a user can
	// price a run before getting a key.
	NoCalls bool
}

// DefaultTimeout bounds one API call when Config.Timeout is 0.
const DefaultTimeout = 2 * time.Minute

// ErrKind means Config.Kind names no oracle.
var ErrKind = errors.New("unknown oracle kind: want gemini, openai, keywords or simulate")

// ErrNoModel means an OpenAI-compatible oracle was asked for without a model.
var ErrNoModel = errors.New("the openai oracle needs a model (e.g. gpt-4o-mini, deepseek-chat, the name a vLLM or Ollama server serves)")

// DefaultModel is the model of kind when neither the caller nor the filter
// names one ("" where there is none).
func DefaultModel(kind string) string {
	if kind == "gemini" {
		return "gemini-2.5-flash"
	}
	return ""
}

// New builds the oracle cfg names. API keys come from the environment
// (GEMINI_API_KEY, OPENAI_API_KEY): ErrNoKey when unset.
func New(ctx context.Context, cfg Config) (Oracle, error) {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	model := cfg.Model
	switch cfg.Kind {
	case "", "keywords":
		return NewKeywords(cfg.Filter), nil
	case "simulate":
		return NewSimulate(cfg.Filter, strings.TrimSpace(model))
	case "gemini":
		if model == "" && cfg.Filter != nil {
			model = cfg.Filter.Oracle.Model
		}
		if model == "" {
			model = DefaultModel(cfg.Kind)
		}
		if cfg.NoCalls && os.Getenv("GEMINI_API_KEY") == "" {
			return uncallable{cfg.Kind, model}, nil
		}
		return NewGemini(ctx, model, cfg.BaseURL, timeout)
	case "openai":
		if model == "" {
			return nil, ErrNoModel
		}
		if cfg.NoCalls && os.Getenv("OPENAI_API_KEY") == "" {
			return uncallable{cfg.Kind, model}, nil
		}
		return NewOpenAI(model, cfg.BaseURL, timeout)
	}
	return nil, fmt.Errorf("%w: %q", ErrKind, cfg.Kind)
}

// uncallable names an API oracle whose key is not set, for runs that make no
// call (an estimate); a call says the key is missing.
type uncallable struct{ kind, model string }

func (u uncallable) Kind() string  { return u.kind }
func (u uncallable) Model() string { return u.model }

// Call refuses: the key this oracle needs is not set.
func (u uncallable) Call(context.Context, Request) (Response, error) {
	return Response{}, fmt.Errorf("%w: set %s_API_KEY", ErrNoKey, strings.ToUpper(u.kind))
}
