package evaluate

import (
	"fmt"
	"math"
	"strings"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/spec"
)

// Result is a spec.Result: spec.Print prints it.
var _ spec.Result = (*Result)(nil)

// Details are the evaluation's own lines: what was scored on which
// articles, a table of the metrics per dimension (both models side by side
// with Compare), then each model's tier confusion and recall.
func (r *Result) Details() []string {
	if len(r.Models) == 0 {
		return nil
	}
	a := r.Models[0]
	scope := human.Noun(a.Articles, a.Split+" article")
	if a.Split == All {
		scope = human.Noun(a.Articles, "labeled article") + " (every split)"
	}
	var lines []string
	if len(r.Models) == 1 {
		lines = append(lines, fmt.Sprintf("%s: model %s on %d %s (of %d labeled)", r.Filter, a.Model, a.Articles, scope, r.InScope))
	} else {
		lines = append(lines, fmt.Sprintf("%s: model A = %s, B = %s, both on the %d %s both predicted (of %d labeled)", r.Filter, a.Model, r.Models[1].Model, a.Articles, scope, r.InScope))
	}
	read := []string{r.Predictions, r.Labels + " (combine: " + r.Combine + ")"}
	if r.Splits != "" {
		read = append(read, r.Splits)
	}
	lines = append(lines, "read "+strings.Join(read, ", "), "")
	lines = append(lines, spec.Columns(r.metricRows()...)...)
	lines = append(lines, "(mean and median: the MAE of predicting every article's training mean, or median; bias: prediction minus oracle; all dimensions: every score pooled)")
	if line := r.Weighting.Line(); line != "" {
		lines = append(lines, line)
	}
	lines = append(lines, floorLine(r.NoiseFloor)...)
	if c := r.Cascade; c != nil {
		state := "measured, not on"
		if c.Enabled {
			state = "on"
		}
		lines = append(lines, fmt.Sprintf("cascade (%s): first stage %s at %.3f keeps %.1f%% of the %d positives of these %d articles, forwards %.1f%%",
			state, c.First, c.Threshold, 100*c.Recall, c.Positives, c.Articles, 100*c.Forwarded))
	}
	for i, m := range r.Models {
		name := m.Model
		if len(r.Models) > 1 {
			name = fmt.Sprintf("%c (%s)", 'A'+i, m.Model)
		}
		if m.Calibrated != nil {
			name += " raw"
		}
		lines = append(lines, "")
		lines = append(lines, tierLines(name, m.Tiers)...)
		lines = append(lines, sweepLines(m.ThresholdSweep)...)
		if c := m.Calibrated; c != nil {
			lines = append(lines, "")
			lines = append(lines, tierLines(strings.TrimSuffix(name, " raw")+" calibrated ("+orNone(m.Calibration)+")", c.Tiers)...)
			lines = append(lines, sweepLines(c.ThresholdSweep)...)
		}
	}
	return lines
}

// sweepLines are the threshold sweep's two choices, on one line.
func sweepLines(s *Sweep) []string {
	if s == nil {
		return nil
	}
	at := func(p *SweepPoint) string {
		if p == nil {
			return "none"
		}
		return fmt.Sprintf("%s (precision %s, recall %s, F1 %s)", human.Number(p.Threshold), pct(p.Precision), pct(p.Recall), num(p.F1))
	}
	return []string{fmt.Sprintf("  sweep of the overall threshold (%s and above is positive): best F1 at %s; recall >= %s up to %s",
		s.DecisionTier, at(s.BestF1), pct(&s.RecallTarget), at(s.ForRecallTarget))}
}

func orNone(s string) string {
	if s == "" {
		return "unnamed"
	}
	return s
}

// variant is one column group of the metrics table: a model's raw or
// calibrated figures.
type variant struct {
	label string
	m     Model
}

// variants lists the column groups: each model, then its calibrated
// figures when it has them. Labels are empty for one model without
// calibration, so today's table is unchanged.
func (r *Result) variants() []variant {
	var out []variant
	for i, m := range r.Models {
		label := ""
		if len(r.Models) > 1 {
			label = string(rune('A' + i))
		}
		if m.Calibrated == nil {
			out = append(out, variant{label, m})
			continue
		}
		out = append(out, variant{strings.TrimSpace(label + " RAW"), m}, variant{strings.TrimSpace(label + " CAL"), *m.Calibrated})
	}
	return out
}

// metricRows is the metrics table, tab-separated: one model's columns, or
// several side by side (--compare; raw and calibrated).
func (r *Result) metricRows() []string {
	vs := r.variants()
	head := func(name string) string {
		cells := make([]string, len(vs))
		for i, v := range vs {
			cells[i] = strings.TrimSpace(name + " " + v.label)
		}
		return strings.Join(cells, "\t")
	}
	weighted := ""
	if r.Weighting.Line() != "" {
		weighted = "\t" + head("MAE (WEIGHTED)")
	}
	rows := []string{"DIMENSION\tN\t" + head("MAE") + weighted + "\tMEAN\tMEDIAN\t" + head("RMSE") + "\t" + head("BIAS") + "\t" + head("SPEARMAN") + floorHead(r.NoiseFloor)}
	cols := make([][]Metrics, len(vs))
	for i, v := range vs {
		cols[i] = metricsOf(v.m)
	}
	for j, d := range cols[0] {
		cell := func(f func(Metrics) string) string {
			cells := make([]string, len(cols))
			for i := range cols {
				cells[i] = "-"
				if j < len(cols[i]) {
					cells[i] = f(cols[i][j])
				}
			}
			return strings.Join(cells, "\t")
		}
		mae := cell(func(m Metrics) string { return fmt.Sprintf("%.3f", m.MAE) })
		if weighted != "" {
			mae += "\t" + cell(func(m Metrics) string { return num(m.WeightedMAE) })
		}
		rows = append(rows, fmt.Sprintf("%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s", d.Dimension, d.N,
			mae, num(d.BaselineMAE), num(d.MedianBaselineMAE),
			cell(func(m Metrics) string { return fmt.Sprintf("%.3f", m.RMSE) }),
			cell(func(m Metrics) string { return signed(m.Bias) }),
			cell(func(m Metrics) string { return num(m.Spearman) }))+floorCells(r.NoiseFloor, d.Dimension))
	}
	return rows
}

// floorHead and floorCells are the noise floor's columns of the metrics
// table: the oracle's self-MAE and its MAE against another oracle.
func floorHead(fl *curate.Floor) string {
	if fl == nil {
		return ""
	}
	h := ""
	if fl.SelfArticles > 0 {
		h += "\tORACLE SELF-MAE\tFLOOR"
	}
	if fl.Other != "" {
		h += "\tVS " + fl.Other
	}
	return h
}

func floorCells(fl *curate.Floor, dim string) string {
	if fl == nil {
		return ""
	}
	fig := fl.Dimensions[dim]
	c := ""
	if fl.SelfArticles > 0 {
		c += "\t" + num(fig.SelfMAE) + "\t" + num(fig.IdealMAE)
	}
	if fl.Other != "" {
		c += "\t" + num(fig.InterMAE)
	}
	return c
}

// floorLine says what the noise floor columns are, or why there are none.
func floorLine(fl *curate.Floor) []string {
	if fl == nil {
		return nil
	}
	if len(fl.Mixed) > 0 {
		return []string{fmt.Sprintf("(no noise floor: the labels scored against come from %d oracles, %s; name one with --combine oracle=NAME)",
			len(fl.Mixed), strings.Join(fl.Mixed, ", "))}
	}
	var parts []string
	if fl.SelfArticles > 0 {
		parts = append(parts, fmt.Sprintf("oracle self-MAE: two answers of %s to one question differ by this (%s asked more than once); floor: a student that learned its expected answer is off by self-MAE / √(2 × %s) against these labels (%s averaged an article; normal noise), and cannot gain much by tuning once near it",
			fl.Oracle, human.Plural(fl.SelfArticles, "article"), human.Number(fl.Answers), human.Plural(int64(math.Round(fl.Answers)), "answer")))
	}
	if fl.Other != "" {
		parts = append(parts, fmt.Sprintf("vs %s: the MAE between it and %s on %s", fl.Other, fl.Oracle, human.Plural(fl.InterArticles, "article")))
	}
	return []string{"(noise floor: " + strings.Join(parts, "; ") + ")"}
}

// tierLines are one model's tier accuracy, confusion matrix and recall.
func tierLines(name string, t Tiers) []string {
	lines := []string{fmt.Sprintf("tiers of %s: accuracy %s (%d of %d)", name, pct(t.Accuracy), t.Correct, t.Articles)}
	matrix := []string{fmt.Sprintf("  ORACLE \\ PREDICTED\t%s\t", strings.Join(t.Names, "\t"))}
	for j, row := range t.Confusion {
		cells := make([]string, len(row))
		for k, n := range row {
			cells[k] = fmt.Sprint(n)
		}
		matrix = append(matrix, fmt.Sprintf("  %s\t%s\t", t.Names[j], strings.Join(cells, "\t")))
	}
	lines = append(lines, spec.Columns(matrix...)...)
	bottom := ""
	if len(t.Names) > 0 {
		bottom = t.Names[len(t.Names)-1]
	}
	lines = append(lines, fmt.Sprintf("  recall@%d: %s (%d of the %s above %s %s among the %d predicted highest)", t.K, pct(t.RecallAtK), t.Found, human.Plural(t.Relevant, "article"), bottom, human.Noun(t.Found, "is", "are"), t.K))
	if len(t.Upper) > 0 {
		cells := make([]string, len(t.Upper))
		for i, u := range t.Upper {
			cells[i] = fmt.Sprintf("%s and above recall@%d %s, NDCG %s", u.Tier, u.K, pct(u.RecallAtK), num(u.NDCGAtK))
		}
		lines = append(lines, "  by tier: "+strings.Join(cells, "; "))
	}
	if t.ThresholdTier != "" {
		lines = append(lines, fmt.Sprintf("  at the %s threshold (overall >= %g): precision %s (%d of %d predicted there), recall %s (%d of %d)",
			t.ThresholdTier, t.Threshold, pct(t.Precision), t.TruePositives, t.TruePositives+t.FalsePositives,
			pct(t.Recall), t.TruePositives, t.TruePositives+t.FalseNegatives))
	}
	return lines
}

// metricsOf lists a model's metric rows in print order: the dimensions,
// the overall score, every dimension pooled.
func metricsOf(m Model) []Metrics {
	out := append([]Metrics{}, m.Dimensions...)
	out = append(out, m.Overall, m.All)
	out[len(out)-1].Dimension = "all dimensions"
	return out
}

// num prints a metric with three decimals, "-" for none.
func num(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *p)
}

func signed(x float64) string { return human.Signed(x, 3) }

func pct(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100**p)
}

// Headline is the run's key figures: the first model's pooled MAE against
// its baseline, and its tier accuracy.
func (r *Result) Headline() string {
	s := fmt.Sprintf("%s of %s", human.Plural(r.InScope, "article"), r.Split)
	if len(r.Models) > 0 {
		m := r.Models[0]
		s += fmt.Sprintf(": MAE %.3f over every dimension", m.All.MAE)
		if m.All.BaselineMAE != nil && m.All.MedianBaselineMAE != nil {
			s += fmt.Sprintf(" (training mean %.3f, median %.3f)", *m.All.BaselineMAE, *m.All.MedianBaselineMAE)
		}
		if m.Tiers.Accuracy != nil {
			s += fmt.Sprintf(", tier accuracy %.0f%%", 100**m.Tiers.Accuracy)
		}
	}
	return s
}
