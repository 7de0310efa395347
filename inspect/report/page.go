package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/distillery/distillery/internal/human"
)

// Page is what the template draws: summary cards and the sections.
type Page struct {
	Title    string
	Data     *Data
	Cards    []Card
	Sections []*Section
}

// Card is one headline number.
type Card struct {
	Label, Value, Detail string
}

// Section is one part of the report. When Missing is set (its table does
// not exist yet) it shows that sentence instead of charts.
type Section struct {
	ID, Title, Intro string
	Missing          string
	Warnings         []string
	Notes            []string
	Charts           []*Chart
	// Small lays the charts out as a grid of small multiples; Flow side by
	// side at their own size, as many as fit (heat maps).
	Small, Flow bool
}

// Build lays the data out as a page.
func Build(d *Data) *Page {
	p := &Page{Title: "distill report: " + d.Filter, Data: d}
	p.Cards = cards(d)
	add := func(s *Section, charts func() []*Chart) {
		s.Missing = d.Missing[s.ID]
		if s.Missing == "" {
			s.Charts = charts()
		}
		p.Sections = append(p.Sections, s)
	}
	add(&Section{ID: SecFunnel, Title: "Prefilter funnel", Notes: d.FunnelNotes,
		Intro: "How many ingested articles pass the prefilter and go on to be compressed, labeled and put in a split (train, val or test), and the share each step keeps; below, the articles the prefilter blocked, by the rule that blocked them (hover a bar for its most common reason)."},
		func() []*Chart { return []*Chart{funnelChart(d)} })
	add(&Section{ID: SecTiers, Title: "Tier distribution", Warnings: d.Warnings,
		Intro: "Each article's tier follows from its combined label's overall score and the thresholds in filter.yaml. A rare upper tier is what a student most often gets wrong."},
		func() []*Chart { return []*Chart{tierChart(d)} })
	add(&Section{ID: SecHistograms, Title: "Score histograms", Small: true,
		Intro: "The oracle's 0-10 scores on each dimension, one combined label per article."},
		func() []*Chart { return histogramCharts(d) })
	add(&Section{ID: SecSplits, Title: "Split balance",
		Intro: "How each tier is spread over train, val and test. Duplicates never straddle two splits; --balance leaves surplus training articles out (hover a bar)."},
		func() []*Chart { return []*Chart{balanceChart(d)} })
	act := &Section{ID: SecActivity, Title: "Labels and cost over time",
		Intro: "Label rows written and oracle calls made, by oracle model (oracle/model). Money is spent on calls (failed ones included); cache hits and imports are free."}
	switch {
	case d.Calls == "":
		act.Notes = append(act.Notes, "No oracle calls are recorded for this filter (its labels were imported), so there is no cost to chart.")
	case d.Cost.CostUSD <= 0:
		act.Notes = append(act.Notes, fmt.Sprintf("The %s oracle calls cost nothing (the keywords oracle is free), so there is no cost curve.", fmtInt(d.Cost.Calls)))
	}
	add(act, func() []*Chart { return activityCharts(d) })
	add(&Section{ID: SecAgreement, Title: "Oracle agreement", Notes: d.AgreementNotes,
		Intro: "How far the oracles agree with each other on the articles both scored, and each oracle with itself over its repeated answers (its noise), as `distill agree` last measured each comparison. A student cannot be expected to come closer to an oracle than the oracle comes to itself; an offset is a bias one oracle has against the other, which a student learns along with the rest."},
		func() []*Chart { return []*Chart{agreementChart(d)} })
	add(&Section{ID: SecMAE, Title: "Student error",
		Intro: fmt.Sprintf("Mean absolute error of each model's predictions against the oracle on the %s split, per dimension, next to the baseline that always predicts the training mean: a student worth keeping beats it.", d.Split)},
		func() []*Chart { return []*Chart{maeChart(d)} })
	add(&Section{ID: SecConfusion, Title: "Tier confusion", Flow: true,
		Intro: "Where each model puts the articles of every oracle tier; the predicted tier comes from the predicted overall score by filter.yaml."},
		func() []*Chart { return confusionCharts(d) })
	add(&Section{ID: SecDrift, Title: "Drift", Notes: d.DriftNotes,
		Intro: "How far the newest window of the scores `distill score` wrote has moved from the oracle's labels the student learned from, and from the earlier windows, as `distill drift` last measured it: the population stability index over the whole scores 0-10 (the tiers for tier). Below 0.1 the distribution is stable, 0.1-0.2 a moderate shift, above the threshold a shift worth labeling for: `distill label --select drift` sends the articles of the moved score ranges to the oracle."},
		func() []*Chart { return []*Chart{driftChart(d)} })
	add(&Section{ID: SecSnapshots, Title: "Snapshot history", Small: true,
		Intro: "Every table of the corpus and of this filter, one bar per Iceberg snapshot: any of them can be read again as \"ns.table@N\" in `distill sql`. Each chart's Data lists stage, operation and tags."},
		func() []*Chart { return snapshotCharts(d) })
	return p
}

func cards(d *Data) []Card {
	var out []Card
	if d.Labels != "" {
		out = append(out, Card{"Labeled articles", fmtInt(d.Articles), fmt.Sprintf("%s label rows · %s", fmtInt(d.LabelRows), d.Labels)})
	} else {
		out = append(out, Card{"Labeled articles", "0", "no labels yet"})
	}
	out = append(out, Card{"Oracle spend", fmtUSD(d.Cost.CostUSD), fmt.Sprintf("%s, %s failed", counted(d.Cost.Calls, "call"), fmtInt(d.Cost.FailedCalls))})
	if len(d.Balance) > 0 {
		totals := map[string]int64{}
		var splits []string
		for _, b := range d.Balance {
			if _, ok := totals[b.Split]; !ok {
				splits = append(splits, b.Split)
			}
			totals[b.Split] += b.Articles
		}
		slices.SortStableFunc(splits, func(a, b string) int { return splitOrder(a) - splitOrder(b) })
		var parts []string
		for _, s := range splits {
			parts = append(parts, s+" "+fmtInt(totals[s]))
		}
		var all int64
		for _, n := range totals {
			all += n
		}
		out = append(out, Card{"In splits", fmtInt(all), strings.Join(parts, " · ")})
	} else {
		out = append(out, Card{"In splits", "–", "not split yet"})
	}
	var best *ErrorRow
	for i, e := range d.Errors {
		if e.Dimension == "_all" && (best == nil || e.MAE < best.MAE) {
			best = &d.Errors[i]
		}
	}
	if best != nil {
		detail := "all dimensions pooled, " + best.Model
		if best.BaselineMAE != nil {
			detail = fmt.Sprintf("baseline %.3f · %s", *best.BaselineMAE, detail)
		}
		if best.WeightedMAE != nil && best.EffectiveN != nil {
			detail = fmt.Sprintf("%s · weighted by 1/inclusion %.3f (the pool label --select drew from; effective n %.0f)", detail, *best.WeightedMAE, *best.EffectiveN)
		}
		out = append(out, Card{"Best " + d.Split + " MAE", fmt.Sprintf("%.3f", best.MAE), detail})
	} else {
		out = append(out, Card{"Best " + d.Split + " MAE", "–", "no evaluation yet"})
	}
	var snaps int
	for _, t := range d.Tables {
		snaps += len(t.Snapshots)
	}
	out = append(out, Card{"Lake", human.Plural(int64(len(d.Tables)), "table"), human.Plural(int64(snaps), "snapshot")})
	return out
}
