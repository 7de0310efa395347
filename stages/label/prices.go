package label

import (
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
// servers (vLLM, Ollama) and the keywords oracle cost nothing.
func priceOf(f *filters.Filter, kind, model string) (filters.Price, bool) {
	if p, ok := f.Oracle.Prices[model]; ok {
		return p, true
	}
	if kind == "keywords" {
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
