package label

import "github.com/distillery/distillery/filters"

// promptTokens is the input tokens a prompt is expected to take: about four
// characters a token. `label --estimate`, MaxCost and the batch budget all
// use it, so their figures agree.
func promptTokens(prompt string) int {
	return len(prompt)/4 + 1
}

// answerTokens is the tokens an answer is expected to take: a score and a
// short sentence per dimension.
func answerTokens(f *filters.Filter) int64 {
	return int64(len(f.Dimensions)*35 + 20)
}

// Estimator is `label --estimate`'s arithmetic for the filter's own oracle
// model, for what reports the cost of texts before they are labeled
// (`compress --what-if`).
type Estimator struct {
	Filter *filters.Filter
}

// InputTokens is the oracle input tokens of labeling one compressed text:
// the filter's prompt with the text in it.
func (e Estimator) InputTokens(text string) int64 {
	return int64(promptTokens(e.Filter.RenderPrompt(text)))
}

// Cost is the dollars of calls labeling calls reading in input tokens, with
// the expected answers; priced is false when the model has no known price
// (the cost is then 0).
func (e Estimator) Cost(calls, in int64) (usd float64, priced bool) {
	p, priced := priceOf(e.Filter, "", e.Filter.Oracle.Model)
	return cost(p, int(in), int(calls*answerTokens(e.Filter))), priced
}

// Model is the oracle model the estimate prices.
func (e Estimator) Model() string { return e.Filter.Oracle.Model }
