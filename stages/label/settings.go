package label

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/stages/label/oracle"
)

// ShortEvidenceWords caps each dimension's evidence under evidence short.
const ShortEvidenceWords = 12

// settings are a run's answer settings (Options.Evidence and
// Options.ThinkingBudget) resolved for its oracle and model: what each
// request carries, what each label records, and what sets the cache key
// apart from today's.
type settings struct {
	evidence string
	thinking thinking
}

// resolveSettings resolves the answer settings of opts (defaults filled)
// for its oracle, warning in res where the model cannot have what was asked.
func resolveSettings(opts Options, res *Result) settings {
	th, warns := resolveThinking(opts.Oracle.Kind(), opts.Oracle.Model(), opts.ThinkingBudget)
	for _, w := range warns {
		res.Warn("%s", w)
	}
	s := settings{evidence: opts.Evidence, thinking: th}
	res.Evidence, res.ThinkingBudget = s.evidence, th.budget
	// Gemini counts thoughts against the output limit: a budget near it
	// leaves an answer no room, and the call comes back cut off.
	if b := th.send; b != nil && opts.MaxTokens > 0 && int64(*b)+answerTokens(opts.Filter, s.evidence) > int64(opts.MaxTokens) {
		res.Warn("thinking_budget %d and an answer of ~%d tokens may not fit in max tokens %d (thoughts count against it): answers may come back cut off; raise --max-tokens (oracle.max_output_tokens) or lower the budget",
			*b, answerTokens(opts.Filter, s.evidence), opts.MaxTokens)
	}
	return s
}

// SettingsKey is the cache key of an ask under answer settings, when key is
// its CacheKey: evidence is full, short or none ("" is full), and thinking
// names the thinking setting sent beyond the model's default ("" for the
// default: distill's, which is no thinking config, or thinking off or at
// its minimum where the model has a budget). Under evidence full and the
// default thinking it is key itself, so labels made before these settings
// existed are never asked again; any other setting has a key of its own,
// asked once and served from the cache after. (Short and none change the
// prompt or the schema, so the key, anyway; naming them here keeps the
// settings apart even where a prompt were the same.)
func SettingsKey(key, evidence, thinking string) string {
	if evidence == "" {
		evidence = filters.EvidenceFull
	}
	if evidence == filters.EvidenceFull && thinking == "" {
		return key
	}
	return sha(fmt.Sprintf("%s\x00settings\x00evidence=%s\x00thinking=%s", key, evidence, thinking))
}

// name is the settings beyond the defaults, as a label records them and
// distill agree names an oracle by them: "evidence=none thinking_budget=1024",
// "" for the defaults (exactly when SettingsKey leaves the key as it is).
func (s settings) name() string {
	var parts []string
	if s.evidence != "" && s.evidence != filters.EvidenceFull {
		parts = append(parts, "evidence="+s.evidence)
	}
	if s.thinking.key != "" {
		parts = append(parts, s.thinking.key)
	}
	return strings.Join(parts, " ")
}

// cacheKey is an ask's key before repeats (RepeatKey): CacheKey under s.
func (s settings) cacheKey(kind, model, prompt string, schema []byte, temperature float64, maxTokens int) string {
	return SettingsKey(CacheKey(kind, model, prompt, schema, temperature, maxTokens), s.evidence, s.thinking.key)
}

// request is a call of prompt under s.
func (s settings) request(prompt, input string, schema []byte, opts Options, repeat int) oracle.Request {
	return oracle.Request{Prompt: prompt, Input: input, SchemaJSON: schema, Temperature: *opts.Temperature, MaxTokens: opts.MaxTokens,
		Repeat: repeat, ThinkingBudget: s.thinking.send, ReasoningEffort: s.thinking.effort}
}

// params are the settings in a commit's Params: the evidence mode when it
// is not full (today's), and the thinking budget when one is sent.
func (s settings) params(p map[string]any) {
	if s.evidence != filters.EvidenceFull {
		p["evidence"] = s.evidence
	}
	if s.thinking.budget != nil {
		p["thinking_budget"] = *s.thinking.budget
	}
}

// renderPrompt is the prompt for one article under an evidence mode: the
// filter's (RenderPrompt) under full, byte for byte, so full keeps today's
// cache keys; short and none add one instruction line after the article,
// the last word the oracle reads.
func renderPrompt(f *filters.Filter, input, evidence string) string {
	return f.RenderPrompt(input) + evidenceNote(evidence)
}

func evidenceNote(evidence string) string {
	switch evidence {
	case filters.EvidenceShort:
		return fmt.Sprintf("\n\nKeep each dimension's \"evidence\" to at most %d words.\n", ShortEvidenceWords)
	case filters.EvidenceNone:
		return "\n\nAnswer with scores only: for every dimension an object with its \"score\" and no \"evidence\".\n"
	}
	return ""
}

// encodeSchema is the filter's response schema under an evidence mode as
// sent with every call: encoded once per run, not once per call.
func encodeSchema(f *filters.Filter, evidence string) []byte {
	b, _ := json.Marshal(oracle.ResponseSchemaFor(f, evidence))
	return b
}
