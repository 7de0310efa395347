package agree

import (
	"fmt"
	"strings"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/spec"
)

// Result is an agree run: the oracles there are, each comparison's figures
// per dimension, and alpha across every oracle and ask.
type Result struct {
	spec.Summary
	Filter string `json:"filter"`
	// Labels is the labels snapshot read.
	Labels  string   `json:"labels"`
	Oracles []Oracle `json:"oracles"`
	// Pairs are the comparisons: two oracles (kind pair) or one oracle's
	// repeats (kind self).
	Pairs []Pair `json:"pairs"`
	// Alpha is Krippendorff's alpha across every oracle and ask, by dimension.
	Alpha map[string]curate.Reliability `json:"alpha"`
	// Note says why nothing was compared (one oracle, asked once).
	Note string `json:"note,omitempty"`
	// Exported is the file --export wrote and how many articles it lists.
	Exported string `json:"exported,omitempty"`
	Listed   int    `json:"listed,omitempty"`

	alphaOrder []curate.Reliability
}

// Oracle is one oracle the labels come from.
type Oracle struct {
	Name     string `json:"name"`
	Labels   int64  `json:"labels"`
	Articles int64  `json:"articles"`
	// MaxAsks is the most asks of one article (label --repeat).
	MaxAsks int64 `json:"max_asks"`
	// Paid is its labels that were asked for (not cached, not imported),
	// with their mean tokens and dollars per label (nil with none); CostUSD
	// is what all its labels cost.
	Paid         int64    `json:"paid"`
	TokensIn     *float64 `json:"tokens_in_per_label"`
	TokensOut    *float64 `json:"tokens_out_per_label"`
	CostPerLabel *float64 `json:"cost_per_label"`
	CostUSD      float64  `json:"cost_usd"`
}

// Pair is one comparison: B against A (offsets B - A), or A's repeats.
type Pair struct {
	Kind     string `json:"kind"`
	A        string `json:"a"`
	B        string `json:"b"`
	Articles int64  `json:"articles"`
	// Dimensions holds each dimension's figures, and overall's and tier's.
	Dimensions map[string]curate.Figures `json:"dimensions"`

	order []curate.Agreement
}

var _ spec.Result = (*Result)(nil)

// Headline is the comparisons in a few words.
func (r *Result) Headline() string {
	var parts []string
	for _, p := range r.Pairs {
		o, ok := p.Dimensions["overall"]
		if !ok || o.MAE == nil {
			continue
		}
		if p.Kind == "self" {
			parts = append(parts, fmt.Sprintf("%s self-MAE %s", p.A, human.Number(*o.MAE)))
		} else {
			parts = append(parts, fmt.Sprintf("%s vs %s MAE %s", p.B, p.A, human.Number(*o.MAE)))
		}
	}
	return fmt.Sprintf("%s compared (overall: %s)", human.Plural(int64(len(r.Pairs)), "pair"), strings.Join(parts, "; "))
}

func show(p *float64, format string) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf(format, *p)
}

func percent(p *float64) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("%.0f%%", 100**p)
}

// Details are the oracles, one table per comparison and the alphas.
func (r *Result) Details() []string {
	lines := []string{fmt.Sprintf("agree: %s in %s", human.Plural(int64(len(r.Oracles)), "oracle"), r.Labels)}
	for _, o := range r.Oracles {
		line := fmt.Sprintf("  %s: %s on %s, up to %s each", o.Name, human.Plural(o.Labels, "label"),
			human.Plural(o.Articles, "article"), human.Plural(o.MaxAsks, "ask"))
		if o.CostPerLabel != nil && o.TokensIn != nil && o.TokensOut != nil && *o.TokensIn+*o.TokensOut > 0 {
			line += fmt.Sprintf("; per label asked %.0f tokens in, %.0f out, $%.5f ($%.4f in all)", *o.TokensIn, *o.TokensOut, *o.CostPerLabel, o.CostUSD)
		}
		lines = append(lines, line)
	}
	for _, p := range r.Pairs {
		if p.Kind == "self" {
			lines = append(lines, fmt.Sprintf("%s against itself on %s (its repeated asks: its noise):", p.A, human.Plural(p.Articles, "article")))
		} else {
			lines = append(lines, fmt.Sprintf("%s against %s on %s (offset: %s minus %s):", p.B, p.A, human.Plural(p.Articles, "article"), p.B, p.A))
		}
		rows := []string{"  DIMENSION\tMAE\tOFFSET\t95% INTERVAL\tMAE AFTER OFFSET\tSPEARMAN\tALPHA\tSAME TIER"}
		for _, g := range p.order {
			rows = append(rows, fmt.Sprintf("  %s\t%s\t%s\t[%s, %s]\t%s\t%s\t%s\t%s", g.Dimension, show(g.MAE, "%.2f"), show(g.Offset, "%+.2f"),
				show(g.OffsetLow, "%+.2f"), show(g.OffsetHigh, "%+.2f"), show(g.MAEAfterOffset, "%.2f"), show(g.Spearman, "%.2f"),
				show(g.Alpha, "%.2f"), percent(g.TierAgreement)))
		}
		lines = append(lines, spec.Columns(rows...)...)
	}
	if r.Note != "" {
		lines = append(lines, r.Note)
	}
	if len(r.alphaOrder) > 0 {
		var parts []string
		for _, a := range r.alphaOrder {
			parts = append(parts, fmt.Sprintf("%s %s", a.Dimension, show(a.Alpha, "%.2f")))
		}
		lines = append(lines, "alpha across every oracle and ask: "+strings.Join(parts, ", "))
	}
	if r.Exported != "" {
		lines = append(lines, fmt.Sprintf("exported the %s the oracles disagree on most to %s", human.Plural(int64(r.Listed), "article"), r.Exported))
	}
	return lines
}
