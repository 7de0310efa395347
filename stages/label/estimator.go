package label

import (
	"fmt"
	"strings"

	"github.com/distillery/distillery/filters"
)

// promptTokens is the input tokens a prompt is expected to take: about four
// characters a token. `label --estimate`, MaxCost and the batch budget all
// use it, so their figures agree.
func promptTokens(prompt string) int {
	return len(prompt)/4 + 1
}

// answerTokens is the tokens an answer is expected to take under an
// evidence mode: per dimension a score and a short sentence (full, ~35
// tokens), a score and at most ShortEvidenceWords words (short: the JSON
// around the score, ~12 tokens, and ~4/3 tokens a word), or a score alone
// (none, ~10); plus ~20 for content_type and braces.
func answerTokens(f *filters.Filter, evidence string) int64 {
	per := 35
	switch evidence {
	case filters.EvidenceShort:
		per = 12 + ShortEvidenceWords*4/3
	case filters.EvidenceNone:
		per = 10
	}
	return int64(len(f.Dimensions)*per + 20)
}

// evidenceAssumption says what answerTokens assumes of an evidence mode.
func evidenceAssumption(evidence string) string {
	switch evidence {
	case filters.EvidenceShort:
		return fmt.Sprintf("evidence short: a score and at most %d words a dimension", ShortEvidenceWords)
	case filters.EvidenceNone:
		return "evidence none: scores only"
	}
	return "evidence full: a score and a sentence a dimension"
}

// outputTokens is the output tokens an answer is expected to take under s:
// its thought tokens (billed as output) and its answer, at most maxTokens
// (which bounds both, thoughts included); and what that assumes.
func outputTokens(f *filters.Filter, s settings, maxTokens int) (thoughts, answer int64, assume string) {
	thoughts, answer = int64(s.thinking.thoughts), answerTokens(f, s.evidence)
	capped := ""
	if maxTokens > 0 && thoughts+answer > int64(maxTokens) {
		capped = fmt.Sprintf("; max tokens %d caps the ~%d thought + ~%d answer tokens assumed", maxTokens, thoughts, answer)
		thoughts = max(0, int64(maxTokens)-answer)
		answer = int64(maxTokens) - thoughts
	}
	assume = fmt.Sprintf("per answer ~%d thought + ~%d answer tokens: %s; %s%s", thoughts, answer, s.thinking.assume, evidenceAssumption(s.evidence), capped)
	return thoughts, answer, assume
}

// estimate counts what a run of items would ask and pay (Options.Estimate).
func estimate(items []item, cache map[string]call, price filters.Price, s settings, opts Options, res *Result) {
	thoughts, answer, assume := outputTokens(opts.Filter, s, opts.MaxTokens)
	res.ExpectedThoughts, res.ExpectedAnswer, res.Assumption = thoughts, answer, assume
	asked := map[string]bool{}
	for _, it := range items {
		if _, ok := cache[it.key]; ok {
			res.Cached++
			continue
		}
		if asked[it.key] {
			res.Shared++ // the answer asked for its twin serves it
			continue
		}
		asked[it.key] = true
		res.Misses++
		in := int64(promptTokens(it.prompt))
		res.ExpectedIn += in
		res.ExpectedOut += thoughts + answer
	}
	res.ExpectedCost = cost(price, int(res.ExpectedIn), int(res.ExpectedOut))
}

// Estimator is `label --estimate`'s arithmetic for the filter's own oracle
// model, for what reports the cost of texts before they are labeled
// (`compress --what-if`): under the filter's oracle.evidence and
// oracle.thinking_budget.
type Estimator struct {
	Filter *filters.Filter
}

// settings are the filter's answer settings for its own model, whose kind
// is told from its name (gemini-…, else an OpenAI-compatible one).
func (e Estimator) settings() settings {
	kind := "openai"
	if strings.HasPrefix(e.Filter.Oracle.Model, "gemini") {
		kind = "gemini"
	}
	th, _ := resolveThinking(kind, e.Filter.Oracle.Model, e.Filter.Oracle.ThinkingBudget)
	return settings{evidence: e.Filter.Oracle.Evidence, thinking: th}
}

// InputTokens is the oracle input tokens of labeling one compressed text:
// the filter's prompt with the text in it.
func (e Estimator) InputTokens(text string) int64 {
	return int64(promptTokens(renderPrompt(e.Filter, text, e.Filter.Oracle.Evidence)))
}

// Cost is the dollars of calls labeling calls reading in input tokens, with
// the expected answers; priced is false when the model has no known price
// (the cost is then 0).
func (e Estimator) Cost(calls, in int64) (usd float64, priced bool) {
	p, priced := priceOf(e.Filter, "", e.Filter.Oracle.Model)
	thoughts, answer, _ := outputTokens(e.Filter, e.settings(), e.Filter.Oracle.MaxOutputTokens)
	return cost(p, int(in), int(calls*(thoughts+answer))), priced
}

// Model is the oracle model the estimate prices.
func (e Estimator) Model() string { return e.Filter.Oracle.Model }
