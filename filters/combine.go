package filters

import (
	"fmt"
	"strings"
)

// Combine is a parsed combine rule: how several labels of an article
// become one, and which oracle's labels are used.
type Combine struct {
	// Rule is latest or mean.
	Rule string
	// Oracle is kind/model (e.g. gemini/gemini-2.5-flash): only that
	// oracle's labels are used ("": every oracle's).
	Oracle string
}

// ParseCombine reads a combine rule: latest or mean, optionally with
// oracle=KIND/MODEL, comma-separated in any order ("oracle=gemini/gemini-2.5-pro",
// "mean,oracle=openai/gpt-4o-mini"). Alone, oracle=... takes the latest of
// that oracle's labels.
func ParseCombine(s string) (Combine, error) {
	c := Combine{Rule: "latest"}
	rule := false
	for _, term := range combineTerms(s) {
		switch {
		case term == "latest" || term == "mean":
			if rule {
				return c, fmt.Errorf("combine %q: one of latest or mean, not both", s)
			}
			c.Rule, rule = term, true
		case strings.HasPrefix(term, "oracle="):
			o := strings.TrimPrefix(term, "oracle=")
			kind, model, ok := strings.Cut(o, "/")
			if c.Oracle != "" || !ok || kind == "" || model == "" {
				return c, fmt.Errorf("combine %q: oracle= names one oracle as KIND/MODEL, e.g. oracle=gemini/gemini-2.5-flash", s)
			}
			c.Oracle = o
		default:
			return c, fmt.Errorf("combine %q: want latest or mean, optionally with oracle=KIND/MODEL (e.g. mean,oracle=gemini/gemini-2.5-flash)", s)
		}
	}
	return c, nil
}

// combineTerms splits a combine rule at its commas, except those inside an
// oracle's model name (a simulate oracle's "offset=1,noise=0.5"): a piece
// that is neither a rule nor oracle=... belongs to the oracle before it.
func combineTerms(s string) []string {
	var out []string
	for _, piece := range strings.Split(s, ",") {
		p := strings.TrimSpace(piece)
		n := len(out)
		if n > 0 && p != "latest" && p != "mean" && !strings.HasPrefix(p, "oracle=") && strings.HasPrefix(out[n-1], "oracle=") {
			out[n-1] += "," + p
			continue
		}
		out = append(out, p)
	}
	return out
}
