package label

import (
	"fmt"
	"strings"
)

// thinkingModel is what a Gemini model that thinks allows of a thinking
// budget (the Gemini API's "Thinking" guide, "Set budgets").
type thinkingModel struct {
	// name matches the model and its versioned names (name-001,
	// name-preview-06-17).
	name string
	// canOff says a budget of 0 turns thinking off.
	canOff bool
	// min and max bound a budget that leaves thinking on: a budget outside
	// them is sent as the nearer bound, with a warning.
	min, max int
	// dynamic is the thought tokens an answer is assumed to take when the
	// model thinks as it likes (its dynamic thinking): an estimate assumes
	// a budget is spent up to this, no further.
	dynamic int
}

// thinkingModels are the Gemini models that think. Thought tokens are
// billed as output tokens, so thinking is money; distill's default is the
// least each model allows:
//
//	model                  thinking off?  budget when on  distill's default
//	gemini-2.5-flash       yes (0)        1-24576         0: off
//	gemini-2.5-flash-lite  yes (0)        512-24576       0: off (its own default too)
//	gemini-2.5-pro         no             128-32768       128, its minimum (0 asks for 128)
//
// gemini-2.0-* and every model not listed are sent no thinking config at
// all (their labels' thinking_budget is NULL): 2.0 models do not think,
// and an unknown one may refuse a budget. The longer name comes first:
// flash-lite's names start with flash's.
//
// dynamic, the thought tokens an answer takes with thinking left to the
// model, is an assumption, not a measurement: ~2,000 for gemini-2.5-flash
// is what the reference project's cost cut (~80% with thinking off, at
// ~1,650 prompt and ~300 answer tokens an article) implies; pro is assumed
// to think twice that, flash-lite half.
var thinkingModels = []thinkingModel{
	{name: "gemini-2.5-flash-lite", canOff: true, min: 512, max: 24576, dynamic: 1000},
	{name: "gemini-2.5-flash", canOff: true, min: 1, max: 24576, dynamic: 2000},
	{name: "gemini-2.5-pro", canOff: false, min: 128, max: 32768, dynamic: 4000},
}

// thinkingModelOf is model's entry in thinkingModels.
func thinkingModelOf(model string) (thinkingModel, bool) {
	model = strings.TrimPrefix(model, "models/")
	for _, m := range thinkingModels {
		if model == m.name || strings.HasPrefix(model, m.name+"-") {
			return m, true
		}
	}
	return thinkingModel{}, false
}

// reasoningPrefixes are the names of OpenAI's reasoning models (o1, o3,
// o4-mini, gpt-5 and their dated names), which take reasoning_effort;
// other OpenAI-compatible models may refuse it.
var reasoningPrefixes = []string{"o1", "o3", "o4", "gpt-5"}

// looksReasoning says whether an OpenAI-compatible model's name is a
// reasoning model's (a router's provider/ prefix aside).
func looksReasoning(model string) bool {
	if i := strings.LastIndexByte(model, '/'); i >= 0 {
		model = model[i+1:]
	}
	for _, p := range reasoningPrefixes {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}

// effortOf is the reasoning_effort an OpenAI reasoning model is asked for
// a thinking budget: low up to 1,024 tokens, medium up to 8,192, else high.
func effortOf(budget int) string {
	switch {
	case budget <= 1024:
		return "low"
	case budget <= 8192:
		return "medium"
	}
	return "high"
}

// effortThoughts are the thought tokens an answer is assumed to take at
// each reasoning_effort (medium is a reasoning model's default): as
// dynamic above, assumptions.
var effortThoughts = map[string]int{"low": 1000, "medium": 2000, "high": 4000}

// thinking is what a run sends of a thinking budget, resolved once for its
// oracle and model.
type thinking struct {
	// budget is recorded with every label (labels.thinking_budget): the
	// budget sent to Gemini, or the one an OpenAI reasoning model was
	// asked for as an effort; nil when none is sent.
	budget *int
	// send is Gemini's thinkingBudget (nil: no thinking config), effort
	// OpenAI's reasoning_effort ("": none).
	send   *int32
	effort string
	// key sets the cache key apart from the model's default requests
	// ("": the default, today's key).
	key string
	// thoughts is the thought tokens an answer is assumed to take, and
	// assume says so for the estimate.
	thoughts int
	assume   string
}

// resolveThinking decides what a run of kind and model sends for a
// thinking budget asked (nil: the default; else 0 or more), and the
// warnings to give when it sends something else.
func resolveThinking(kind, model string, asked *int) (thinking, []string) {
	switch kind {
	case "gemini":
		return geminiThinking(model, asked)
	case "openai":
		return openAIThinking(model, asked)
	}
	return thinking{assume: "the " + kind + " oracle does not think"}, nil
}

func geminiThinking(model string, asked *int) (thinking, []string) {
	m, ok := thinkingModelOf(model)
	if !ok {
		th := thinking{assume: model + " is sent no thinking config"}
		if asked != nil {
			return th, []string{fmt.Sprintf("%s takes no thinking budget (gemini-2.0 models do not think, and distill knows no budget range for others): thinking_budget %d is not sent and its labels record none",
				model, *asked)}
		}
		return th, nil
	}
	def := 0
	if !m.canOff {
		def = m.min
	}
	b, warn := def, ""
	if asked != nil {
		b = *asked
		switch {
		case b == 0 && !m.canOff:
			b, warn = m.min, fmt.Sprintf("%s cannot turn thinking off: its minimum thinking budget, %d, is sent instead of 0", model, m.min)
		case b > 0 && b < m.min:
			b, warn = m.min, fmt.Sprintf("%s's thinking budget is %d-%d: %d is sent instead of %d", model, m.min, m.max, m.min, *asked)
		case b > m.max:
			b, warn = m.max, fmt.Sprintf("%s's thinking budget is %d-%d: %d is sent instead of %d", model, m.min, m.max, m.max, *asked)
		}
	}
	b32 := int32(b)
	th := thinking{budget: &b, send: &b32, thoughts: min(b, m.dynamic)}
	if b != def {
		th.key = fmt.Sprintf("thinking_budget=%d", b)
	}
	switch {
	case b == 0:
		th.assume = "thinking off (thinking_budget 0)"
	case b <= m.dynamic:
		th.assume = fmt.Sprintf("thinking_budget %d, assumed spent in full (%s left to itself is assumed to think ~%d)", b, m.name, m.dynamic)
	default:
		th.assume = fmt.Sprintf("thinking_budget %d, assumed spent up to the ~%d %s is assumed to think left to itself", b, m.dynamic, m.name)
	}
	var warns []string
	if warn != "" {
		warns = append(warns, warn)
	}
	return th, warns
}

func openAIThinking(model string, asked *int) (thinking, []string) {
	reasoning := looksReasoning(model)
	switch {
	case asked == nil && reasoning:
		n := effortThoughts["medium"]
		return thinking{thoughts: n, assume: fmt.Sprintf("%s reasons at its default effort (no reasoning_effort sent), assumed ~%d thought tokens", model, n)}, nil
	case asked == nil:
		return thinking{assume: model + " is sent no reasoning_effort"}, nil
	case !reasoning:
		return thinking{assume: model + " is sent no reasoning_effort"},
			[]string{fmt.Sprintf("%s does not look like a reasoning model (%s…): thinking_budget %d is not sent and its labels record none",
				model, strings.Join(reasoningPrefixes, "…, "), *asked)}
	}
	b := *asked
	effort := effortOf(b)
	th := thinking{budget: &b, effort: effort, key: "reasoning_effort=" + effort, thoughts: effortThoughts[effort],
		assume: fmt.Sprintf("thinking_budget %d sent as reasoning_effort %s, assumed ~%d thought tokens", b, effort, effortThoughts[effort])}
	var warns []string
	if b == 0 {
		warns = append(warns, fmt.Sprintf("%s cannot turn reasoning off: thinking_budget 0 is sent as reasoning_effort low", model))
	}
	return th, warns
}
