package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/distillery/distillery/curate"
)

// dimensionLabel names an evaluation row's dimension for a reader.
func dimensionLabel(dim string) string {
	switch dim {
	case "overall":
		return "overall score"
	case "_all":
		return "all dimensions"
	}
	return dim
}

// maeChart is, per dimension, one bar per model with its baseline's MAE
// marked on it.
func maeChart(d *Data) *Chart {
	var models, dims []string
	for _, e := range d.Errors {
		if !slices.Contains(models, e.Model) {
			models = append(models, e.Model)
		}
		if !slices.Contains(dims, e.Dimension) {
			dims = append(dims, e.Dimension)
		}
	}
	// Dimensions first in the filter's order, then overall and _all.
	rank := map[string]int{}
	for i, dim := range d.Dimensions {
		rank[dim.Name] = i
	}
	order := func(s string) int {
		switch s {
		case "overall":
			return 1000
		case "_all":
			return 1001
		}
		if r, ok := rank[s]; ok {
			return r
		}
		return 999
	}
	slices.SortStableFunc(dims, func(a, b string) int { return order(a) - order(b) })
	mc := map[string]string{}
	c := &Chart{ID: "chart-mae", Title: "Mean absolute error per dimension",
		Subtitle: fmt.Sprintf("latest evaluation of each model on the %s, from %s; lower is better", splitName(d.Split), d.Evaluations),
		Desc:     "Horizontal bars: each model's mean absolute error on each dimension, the overall score and all dimensions pooled; a dark tick on each bar marks the error of always predicting the training mean.",
		W:        960}
	for i, m := range models {
		mc[m] = colour(palette, i)
		c.Legend = append(c.Legend, Swatch{Color: mc[m], Name: m})
	}
	c.Legend = append(c.Legend, Swatch{Color: "#1b1f24", Name: "baseline: always predict the training mean", Line: true})
	fl := d.NoiseFloor
	if fl != nil && len(fl.Mixed) > 0 {
		fl = nil // labels of several oracles: no floor to draw
	}
	if fl != nil && fl.SelfArticles > 0 {
		c.Legend = append(c.Legend, Swatch{Color: floorColour, Name: "noise floor: what a student that learned " + fl.Oracle + "'s expected answer is off by", Line: true})
	}
	names := make([]string, len(dims))
	for i, dim := range dims {
		names[i] = dimensionLabel(dim)
	}
	barH := 16.0
	if len(models) > 3 {
		barH = 11
	}
	group := barH*float64(len(models)) + 16
	f := frame{left: leftMargin(names, 100, 220), top: 10, right: 56, bottom: 44}
	c.H = f.top + f.bottom + group*float64(len(dims))
	var max float64
	for _, e := range d.Errors {
		max = math.Max(max, e.MAE)
		if e.BaselineMAE != nil {
			max = math.Max(max, *e.BaselineMAE)
		}
	}
	x := xAxis(c, f, max, false, "mean absolute error (scores 0-10)", tickText)
	row := map[string]int{}
	for i, dim := range dims {
		row[dim] = i
		rowLabel(c, f, f.top+group*float64(i)+group/2, names[i])
		if dim == "overall" && i > 0 {
			yl := f.top + group*float64(i)
			c.Grid = append(c.Grid, Line{X1: 8, Y1: yl, X2: c.W - 8, Y2: yl, Class: "sep"})
		}
	}
	c.Table = &Table{Head: []string{"model", "dimension", "n", "MAE", "baseline MAE", "RMSE", "bias", "Spearman"}}
	for _, e := range d.Errors {
		mi := slices.Index(models, e.Model)
		y := f.top + group*float64(row[e.Dimension]) + 8 + barH*float64(mi)
		h := barH - 2
		title := fmt.Sprintf("%s · %s: MAE %.3f", e.Model, dimensionLabel(e.Dimension), e.MAE)
		if e.BaselineMAE != nil {
			title += fmt.Sprintf(", baseline %.3f", *e.BaselineMAE)
		}
		title += fmt.Sprintf(" (n = %s)", fmtInt(e.N))
		if e.ComparedWith != "" {
			title += ", on the articles " + e.ComparedWith + " also predicted"
		}
		c.Marks = append(c.Marks, Mark{Kind: "rect", Class: "bar", X: x(0), Y: y, W: x(e.MAE) - x(0), H: h, Fill: mc[e.Model], Value: e.MAE, Title: title})
		// The value goes after the bar, or after the baseline tick when the
		// tick is where the value would be.
		end := x(e.MAE)
		if e.BaselineMAE != nil {
			bx := x(*e.BaselineMAE)
			c.Marks = append(c.Marks, Mark{Kind: "rect", Class: "baseline", X: bx - 1.5, Y: y - 2, W: 3, H: h + 4, Fill: "#1b1f24", Value: *e.BaselineMAE,
				Title: fmt.Sprintf("%s · %s: baseline MAE %.3f (always predicting the training mean)", e.Model, dimensionLabel(e.Dimension), *e.BaselineMAE)})
			if bx > end-2 && bx < end+44 {
				end = bx + 1.5
			}
		}
		self, ideal, inter := floorOf(fl, e.Dimension)
		if ideal != nil {
			fx := x(*ideal)
			c.Marks = append(c.Marks, Mark{Kind: "rect", Class: "baseline", X: fx - 1.5, Y: y - 2, W: 3, H: h + 4, Fill: floorColour, Value: *ideal,
				Title: fmt.Sprintf("%s · %s: noise floor %.3f (%s's self-MAE %s over √(2 × answers averaged))", e.Model, dimensionLabel(e.Dimension), *ideal, fl.Oracle, fmtNum(self, 3))})
		}
		c.Labels = append(c.Labels, Label{X: end + 5, Y: y + h/2 + 4, Text: fmt.Sprintf("%.3f", e.MAE), Anchor: "start", Class: "value"})
		row := []string{e.Model, dimensionLabel(e.Dimension), fmtInt(e.N), fmt.Sprintf("%.3f", e.MAE),
			fmtNum(e.BaselineMAE, 3), fmtNum(e.RMSE, 3), fmtNum(e.Bias, 3), fmtNum(e.Spearman, 3)}
		if fl != nil {
			row = append(row, fmtNum(self, 3), fmtNum(ideal, 3), fmtNum(inter, 3))
		}
		c.Table.Rows = append(c.Table.Rows, row)
	}
	if fl != nil {
		c.Table.Head = append(c.Table.Head, "oracle self-MAE ("+orDash(fl.Oracle)+")", "noise floor", "MAE vs "+orDash(fl.Other))
	}
	return c
}

// floorColour marks the noise floor in the error chart.
const floorColour = "#b35806"

// floorOf is the noise floor of one row of the error chart (whose pooled
// row is _all).
func floorOf(fl *curate.Floor, dim string) (self, ideal, inter *float64) {
	if fl == nil {
		return nil, nil, nil
	}
	if dim == "_all" {
		dim = curate.AllDimensions
	}
	fig := fl.Dimensions[dim]
	return fig.SelfMAE, fig.IdealMAE, fig.InterMAE
}

func orDash(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// confusionCharts are one heat map per model: oracle tier by predicted tier.
func confusionCharts(d *Data) []*Chart {
	var models []string
	byModel := map[string][]Confusion{}
	for _, cell := range d.Confusion {
		if _, ok := byModel[cell.Model]; !ok {
			models = append(models, cell.Model)
		}
		byModel[cell.Model] = append(byModel[cell.Model], cell)
	}
	var out []*Chart
	for mi, m := range models {
		cells := byModel[m]
		var tiers []string
		for _, t := range d.Tiers {
			tiers = append(tiers, t.Tier)
		}
		for _, cell := range cells { // tiers the filter no longer has, in the SQL's order
			for _, t := range []string{cell.Oracle, cell.Predicted} {
				if !slices.Contains(tiers, t) {
					tiers = append(tiers, t)
				}
			}
		}
		n := len(tiers)
		count := make([][]int64, n)
		for i := range count {
			count[i] = make([]int64, n)
		}
		rowTotal := make([]int64, n)
		var total, correct int64
		for _, cell := range cells {
			i, j := slices.Index(tiers, cell.Oracle), slices.Index(tiers, cell.Predicted)
			count[i][j] += cell.Articles
			rowTotal[i] += cell.Articles
			total += cell.Articles
			if i == j {
				correct += cell.Articles
			}
		}
		acc := fmt.Sprintf("%s of %s in the oracle's tier", fmtInt(correct), counted(total, "article"))
		if a := cells[0].Accuracy; a != nil {
			acc = "tier accuracy " + fmtPct(*a) + ": " + acc
		}
		if r := rankingLine(d.Ranking, m); r != "" {
			acc += "; " + r
		}
		c := &Chart{ID: fmt.Sprintf("chart-confusion-%d", mi), Title: "Tier confusion: " + m,
			Subtitle: acc,
			Desc:     "Heat map: rows are the oracle's tiers, columns the tiers the model predicted, highest first; each cell gives the number of articles, shaded by its share of the row. The diagonal holds the articles placed right."}
		cw := 64.0
		for _, t := range tiers {
			cw = math.Max(cw, math.Min(textWidth(t)+12, 120))
		}
		ch := 44.0
		f := frame{left: leftMargin(tiers, 70, 150) + 22, top: 46, right: 12, bottom: 10}
		c.W, c.H = f.left+cw*float64(n)+f.right, f.top+ch*float64(n)+f.bottom
		c.W = math.Max(c.W, 300)
		c.Labels = append(c.Labels,
			Label{X: f.left + cw*float64(n)/2, Y: 14, Text: "predicted tier", Anchor: "middle", Class: "axis-title"},
			Label{X: 14, Y: f.top + ch*float64(n)/2, Text: "oracle tier", Anchor: "middle", Class: "axis-title", Rotate: true})
		maxChars := int((cw - 6) / 6.6)
		c.Table = &Table{Head: append([]string{"oracle \\ predicted"}, tiers...)}
		for i, ot := range tiers {
			rowLabel(c, frame{left: f.left}, f.top+ch*float64(i)+ch/2, ot)
			row := []string{ot}
			for j, pt := range tiers {
				if i == 0 {
					l := Label{X: f.left + cw*float64(j) + cw/2, Y: f.top - 8, Text: shorten(pt, maxChars), Anchor: "middle", Class: "tick"}
					if l.Text != pt {
						l.Full = pt
					}
					c.Labels = append(c.Labels, l)
				}
				share := 0.0
				if rowTotal[i] > 0 {
					share = float64(count[i][j]) / float64(rowTotal[i])
				}
				fill, text := heat(share)
				class := "cell"
				if i == j {
					class = "cell diag"
				}
				c.Marks = append(c.Marks, Mark{Kind: "rect", Class: class, X: f.left + cw*float64(j) + 1, Y: f.top + ch*float64(i) + 1, W: cw - 2, H: ch - 2,
					Fill: fill, Value: float64(count[i][j]), Text: fmtInt(count[i][j]), TextFill: text,
					Title: fmt.Sprintf("oracle %s, predicted %s: %s (%s of the oracle's %s)", ot, pt, counted(count[i][j], "article"), fmtPct(share), ot)})
				row = append(row, fmtInt(count[i][j]))
			}
			c.Table.Rows = append(c.Table.Rows, row)
		}
		for _, s := range []float64{0, 0.5, 1} {
			fill, _ := heat(s)
			name := fmt.Sprintf("%.0f%%", 100*s)
			if s == 1 {
				name += " of the oracle's tier"
			}
			c.Legend = append(c.Legend, Swatch{Color: fill, Name: name})
		}
		out = append(out, c)
	}
	return out
}

// rankingLine is model m's recall@k and NDCG@k per upper tier and its
// threshold sweep's choices, for the subtitle of its confusion chart.
func rankingLine(rows []Ranking, m string) string {
	var parts []string
	var last *Ranking
	for i, r := range rows {
		if r.Model != m {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s and above: recall@%d %s, NDCG %s", r.Tier, r.K, pctOrDash(r.RecallAtK), fmtNum(r.NDCGAtK, 3)))
		last = &rows[i]
	}
	if last == nil {
		return ""
	}
	if last.BestF1Threshold != nil {
		parts = append(parts, fmt.Sprintf("best F1 %s at overall >= %s", fmtNum(last.BestF1, 3), fmtNum(last.BestF1Threshold, 2)))
	}
	if last.RecallTarget != nil && last.RecallTargetThreshold != nil {
		parts = append(parts, fmt.Sprintf("recall >= %s up to %s", fmtPct(*last.RecallTarget), fmtNum(last.RecallTargetThreshold, 2)))
	}
	return strings.Join(parts, "; ")
}

// splitName is how a subtitle names an evaluation split.
func splitName(split string) string {
	if split == CV {
		return "out-of-fold predictions of cross-validation (mean over its folds)"
	}
	return split + " split"
}
