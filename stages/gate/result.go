package gate

import (
	"fmt"
	"math"
	"strings"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/spec"
)

// Verdicts.
const (
	Pass       = "pass"
	Regression = "regression"
)

// Result is a gate run: what was compared on which articles, each metric's
// difference with its interval, and the verdict.
type Result struct {
	spec.Summary
	Filter    string `json:"filter"`
	Candidate string `json:"candidate"`
	// Against says what the candidate was compared with: the production
	// model, a model named by --against, or the baselines.
	Against string `json:"against"`
	Split   string `json:"split"`
	// Articles is the oracle-labeled articles of Split both sides scored.
	Articles      int64   `json:"articles"`
	Threshold     float64 `json:"threshold"`
	ThresholdFrom string  `json:"threshold_from"`
	Bootstrap     int     `json:"bootstrap"`
	Seed          uint64  `json:"seed"`
	// Oracles is where the labels scored against came from.
	Oracles     []Provenance `json:"oracles"`
	Comparisons []Comparison `json:"comparisons"`
	Verdict     string       `json:"verdict"`
}

// Comparison is the candidate against one model or baseline.
type Comparison struct {
	Against string       `json:"against"`
	Metrics []MetricDiff `json:"metrics"`
}

// MetricDiff is one metric of both sides, their difference (candidate
// minus other) and its paired bootstrap 95% interval; null where a side has
// no value (a constant's Spearman) or no resample gave one.
type MetricDiff struct {
	Metric     string   `json:"metric"`
	Better     string   `json:"better"`
	Candidate  *float64 `json:"candidate"`
	Against    *float64 `json:"against"`
	Difference *float64 `json:"difference"`
	Low        *float64 `json:"low"`
	High       *float64 `json:"high"`
	// Judged metrics decide the verdict; Regression is a judged one whose
	// interval lies wholly on the worse side.
	Judged     bool `json:"judged"`
	Regression bool `json:"regression"`
}

var _ spec.Result = (*Result)(nil)

func num(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func show(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *p)
}

func signed(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%+.3f", *p)
}

// Regressed names the regressed metrics with their intervals.
func (r *Result) Regressed() []string {
	var out []string
	for _, c := range r.Comparisons {
		for _, m := range c.Metrics {
			if m.Regression {
				out = append(out, fmt.Sprintf("%s %s [%s, %s] against %s", m.Metric, signed(m.Difference), signed(m.Low), signed(m.High), c.Against))
			}
		}
	}
	return out
}

// Details are one table per comparison and the verdict.
func (r *Result) Details() []string {
	lines := []string{fmt.Sprintf("%s against %s on %s of %s at threshold %s (%s); %d resamples, seed %d",
		r.Candidate, r.Against, human.Plural(r.Articles, "labeled article"), r.Split, human.Number(r.Threshold), r.ThresholdFrom, r.Bootstrap, r.Seed)}
	for _, c := range r.Comparisons {
		rows := []string{fmt.Sprintf("METRIC\tBETTER\t%s\t%s\tDIFFERENCE\t95%% INTERVAL\t", r.Candidate, c.Against)}
		for _, m := range c.Metrics {
			mark := ""
			switch {
			case m.Regression:
				mark = "REGRESSION"
			case !m.Judged:
				mark = "(not judged)"
			}
			rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t[%s, %s]\t%s", m.Metric, m.Better, show(m.Candidate), show(m.Against), signed(m.Difference), signed(m.Low), signed(m.High), mark))
		}
		lines = append(lines, spec.Columns(rows...)...)
	}
	verdict := "verdict: pass (no interval of MAE or recall wholly on the worse side)"
	if r.Verdict == Regression {
		verdict = "verdict: REGRESSION: " + strings.Join(r.Regressed(), "; ")
	}
	return append(lines, verdict)
}

// Headline is the verdict in a few words.
func (r *Result) Headline() string {
	return fmt.Sprintf("%s: %s against %s on %s", r.Verdict, r.Candidate, r.Against, human.Plural(r.Articles, "article"))
}
