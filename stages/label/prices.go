package label

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/distillery/distillery/filters"
)

// builtinPrices are list prices in USD per million tokens (input, output),
// as published in 2026; filter.yaml's oracle.prices overrides them.
var builtinPrices = map[string]filters.Price{
	"gemini-2.5-flash":      {Input: 0.30, Output: 2.50},
	"gemini-2.5-flash-lite": {Input: 0.10, Output: 0.40},
	"gemini-2.5-pro":        {Input: 1.25, Output: 10.00},
	"gemini-2.0-flash":      {Input: 0.10, Output: 0.40},
	"gpt-4o-mini":           {Input: 0.15, Output: 0.60},
	"gpt-4.1-mini":          {Input: 0.40, Output: 1.60},
	"deepseek-chat":         {Input: 0.27, Output: 1.10},
}

// priceOf returns the price of model and whether one is known. Local
// servers (vLLM, Ollama) and the offline oracles (keywords, simulate) cost nothing.
func priceOf(f *filters.Filter, kind, model string) (filters.Price, bool) {
	if p, ok := f.Oracle.Prices[model]; ok {
		return p, true
	}
	if kind == "keywords" || kind == "simulate" {
		return filters.Price{}, true
	}
	if p, ok := builtinPrices[model]; ok {
		return p, true
	}
	for m, p := range builtinPrices { // versioned names, e.g. gemini-2.5-flash-001
		if strings.HasPrefix(model, m+"-") {
			return p, true
		}
	}
	return filters.Price{}, false
}

func cost(p filters.Price, in, out int) float64 {
	return (float64(in)*p.Input + float64(out)*p.Output) / 1e6
}

// checkPriced refuses a cost cap on a model with no known price: every
// cost would count as $0 and the cap would never stop the run.
func checkPriced(f *filters.Filter, model string, priced bool, opts Options) error {
	if priced || opts.MaxCost <= 0 {
		return nil
	}
	return fmt.Errorf("%w: %s is not among the prices distill knows; give its price in %s (oracle.prices: {%s: {input: USD per 1M tokens, output: USD per 1M tokens}}) or drop --max-cost",
		ErrUnpriced, model, filepath.Join(f.Dir, filters.ConfigFile), model)
}
