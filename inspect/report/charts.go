package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distillery/distillery/internal/human"
)

// tierColours maps each tier of the filter (highest first) to its colour.
func tierColours(d *Data) map[string]string {
	m := map[string]string{}
	for i, t := range d.Tiers {
		m[t.Tier] = colour(tierPalette, i)
	}
	return m
}

// tierChart is one horizontal bar per tier, highest first.
func tierChart(d *Data) *Chart {
	c := &Chart{ID: "chart-tiers", Title: "Articles per tier",
		Subtitle: fmt.Sprintf("%s, one combined label each (combine: %s), from %s", counted(d.Articles, "article"), d.Combine, d.Labels),
		Desc:     "Horizontal bars: the number of labeled articles in each tier, from the highest tier to the lowest.",
		W:        960}
	names := make([]string, len(d.Tiers))
	var max int64
	for i, t := range d.Tiers {
		names[i] = fmt.Sprintf("%s (≥ %g)", t.Tier, t.MinScore)
		max = int64(math.Max(float64(max), float64(t.Articles)))
	}
	const row = 36.0
	f := frame{left: leftMargin(names, 90, 240), top: 10, right: 130, bottom: 44}
	c.H = f.top + f.bottom + row*float64(len(d.Tiers))
	x := xAxis(c, f, float64(max), true, "articles", tickText)
	c.Table = &Table{Head: []string{"tier", "min overall", "articles", "share"}}
	for i, t := range d.Tiers {
		y, h := f.top+row*float64(i)+7, row-14
		c.Marks = append(c.Marks, Mark{Kind: "rect", Class: "bar", X: x(0), Y: y, W: x(float64(t.Articles)) - x(0), H: h,
			Fill: colour(tierPalette, i), Value: float64(t.Articles),
			Title: fmt.Sprintf("%s (overall ≥ %g): %s, %s", t.Tier, t.MinScore, counted(t.Articles, "article"), fmtPct(t.Share))})
		rowLabel(c, f, y+h/2, names[i])
		c.Labels = append(c.Labels, Label{X: x(float64(t.Articles)) + 6, Y: y + h/2 + 4, Text: fmtInt(t.Articles) + " · " + fmtPct(t.Share), Anchor: "start", Class: "value"})
		c.Table.Rows = append(c.Table.Rows, []string{t.Tier, strconv.FormatFloat(t.MinScore, 'g', -1, 64), fmtInt(t.Articles), fmtPct(t.Share)})
	}
	return c
}

// histogramCharts are one 0-10 histogram per dimension, with its mean.
func histogramCharts(d *Data) []*Chart {
	var out []*Chart
	for i, dim := range d.Dimensions {
		c := &Chart{ID: fmt.Sprintf("chart-hist-%d", i), Title: dim.Name,
			Subtitle: fmt.Sprintf("weight %g · mean %.2f · sd %.2f · min %g · max %g", dim.Weight, dim.Mean, dim.Std, dim.Min, dim.Max),
			Desc:     fmt.Sprintf("Histogram of the %s scores of %s in eleven bins: bin b holds scores from b up to b+1, the last bin the 10s; a dashed line marks the mean.", dim.Name, counted(dim.Articles, "article")),
			W:        340, H: 220}
		f := frame{left: 54, top: 22, right: 10, bottom: 42}
		var max int64
		for _, n := range dim.Histogram {
			max = int64(math.Max(float64(max), float64(n)))
		}
		y := yAxis(c, f, float64(max), true, "articles", tickText)
		bw := f.w(c) / 11
		base := c.H - f.bottom
		c.Table = &Table{Head: []string{"score", "articles"}}
		for b, n := range dim.Histogram {
			bin := fmt.Sprintf("%d ≤ score < %d", b, b+1)
			if b == 10 {
				bin = "score 10"
			}
			x := f.left + float64(b)*bw
			c.Marks = append(c.Marks, Mark{Kind: "rect", Class: "bar", X: x + 2, Y: y(float64(n)), W: bw - 4, H: base - y(float64(n)),
				Fill: palette[0], Value: float64(n), Title: fmt.Sprintf("%s: %s with %s", dim.Name, counted(n, "article"), bin)})
			c.Labels = append(c.Labels, Label{X: x + bw/2, Y: base + 15, Text: strconv.Itoa(b), Anchor: "middle", Class: "tick"})
			c.Table.Rows = append(c.Table.Rows, []string{bin, fmtInt(n)})
		}
		c.Labels = append(c.Labels, Label{X: f.left + f.w(c)/2, Y: c.H - 6, Text: "score (0-10)", Anchor: "middle", Class: "axis-title"})
		if dim.Articles > 0 {
			// Scores are mostly whole numbers, drawn at their bin's centre:
			// the mean goes on the same scale.
			xm := f.left + math.Min(dim.Mean+0.5, 11)*bw
			c.Axes = append(c.Axes, Line{X1: xm, Y1: f.top - 4, X2: xm, Y2: base, Class: "mean"})
			anchor := "start"
			if xm > c.W-80 {
				anchor = "end"
			}
			c.Labels = append(c.Labels, Label{X: xm + 3, Y: f.top - 8, Text: fmt.Sprintf("mean %.2f", dim.Mean), Anchor: anchor, Class: "note"})
		}
		out = append(out, c)
	}
	return out
}

// splitOrder sorts split names as the pipeline uses them.
func splitOrder(s string) int {
	switch s {
	case "train":
		return 0
	case "val":
		return 1
	case "test":
		return 2
	}
	return 3
}

// balanceChart is one 100%-stacked bar per split, a segment per tier.
func balanceChart(d *Data) *Chart {
	c := &Chart{ID: "chart-splits", Title: "Tiers within each split",
		Subtitle: "each split's articles by tier, from " + d.Splits,
		Desc:     "One horizontal bar per split, divided into the share of each tier: the tiers should be spread alike in every split.",
		W:        960}
	colours := tierColours(d)
	var splits []string
	totals := map[string]int64{}
	for _, b := range d.Balance {
		if _, ok := totals[b.Split]; !ok {
			splits = append(splits, b.Split)
		}
		totals[b.Split] += b.Articles
	}
	slices.SortStableFunc(splits, func(a, b string) int { return splitOrder(a) - splitOrder(b) })
	names := make([]string, len(splits))
	row := map[string]int{}
	for i, s := range splits {
		names[i] = fmt.Sprintf("%s (%s)", s, fmtInt(totals[s]))
		row[s] = i
	}
	const rowH = 40.0
	f := frame{left: leftMargin(names, 90, 200), top: 10, right: 24, bottom: 44}
	c.H = f.top + f.bottom + rowH*float64(len(splits))
	x := xAxis(c, f, 1, false, "share of the split's articles", func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) })
	for i := range splits {
		rowLabel(c, f, f.top+rowH*float64(i)+rowH/2, names[i])
	}
	start := map[string]float64{}
	c.Table = &Table{Head: []string{"split", "tier", "articles", "share of split", "used for training"}}
	for _, b := range d.Balance {
		i := row[b.Split]
		y, h := f.top+rowH*float64(i)+7, rowH-14
		x0 := x(start[b.Split])
		start[b.Split] += b.Share
		w := x(start[b.Split]) - x0
		fill := colours[b.Tier]
		if fill == "" {
			fill = neutral
		}
		title := fmt.Sprintf("%s · %s: %s, %s of %s", b.Split, b.Tier, counted(b.Articles, "article"), fmtPct(b.Share), b.Split)
		used := "–"
		if b.Split == "train" {
			used = fmtInt(b.Used)
			if b.Used != b.Articles {
				title += fmt.Sprintf(" (%s left out of training by --balance)", fmtInt(b.Articles-b.Used))
			}
		}
		m := Mark{Kind: "rect", Class: "bar", X: x0, Y: y, W: w, H: h, Fill: fill, Value: float64(b.Articles), Title: title}
		if w >= 40 {
			m.Text, m.TextFill = fmt.Sprintf("%.0f%%", 100*b.Share), textOn(fill)
		}
		c.Marks = append(c.Marks, m)
		c.Table.Rows = append(c.Table.Rows, []string{b.Split, b.Tier, fmtInt(b.Articles), fmtPct(b.Share), used})
	}
	for i, t := range d.Tiers {
		c.Legend = append(c.Legend, Swatch{Color: colour(tierPalette, i), Name: t.Tier})
	}
	return c
}

// bucketText formats an activity bucket for an axis label.
func bucketText(t time.Time, unit string, full bool) string {
	switch unit {
	case "minute", "hour":
		if full {
			return t.Format("2006-01-02 15:04")
		}
		return t.Format("15:04")
	case "week":
		return "week of " + t.Format("2006-01-02")
	}
	return t.Format("2006-01-02")
}

// activityCharts are labels per time bucket (stacked by oracle model) and,
// when anything was spent, the cumulative cost of each oracle model's calls:
// two models of one oracle differ in price and quality, so each is a series.
func activityCharts(d *Data) []*Chart {
	var buckets []time.Time
	var series []string
	type key struct {
		b time.Time
		o string
	}
	cell := map[key]Activity{}
	for _, a := range d.Activity {
		if len(buckets) == 0 || !buckets[len(buckets)-1].Equal(a.Bucket) {
			buckets = append(buckets, a.Bucket)
		}
		if !slices.Contains(series, a.Series()) {
			series = append(series, a.Series())
		}
		cell[key{a.Bucket, a.Series()}] = a
	}
	slices.Sort(series)
	oc := map[string]string{}
	var legend []Swatch
	for i, o := range series {
		oc[o] = colour(palette, i)
		legend = append(legend, Swatch{Color: oc[o], Name: o})
	}
	var labels int64
	for _, a := range d.Activity {
		labels += a.Labels
	}
	c := &Chart{ID: "chart-labels-time", Title: "Labels per " + d.Unit + " by oracle model",
		Subtitle: fmt.Sprintf("%s label rows from %s in %s; times in UTC", fmtInt(labels), human.Plural(int64(len(series)), "oracle model"), d.Labels),
		Desc:     fmt.Sprintf("Stacked vertical bars: label rows written in each %s, one colour per oracle model.", d.Unit),
		W:        960, H: 280, Legend: legend}
	f := frame{left: 60, top: 14, right: 16, bottom: 50}
	var max int64
	for _, b := range buckets {
		var sum int64
		for _, o := range series {
			sum += cell[key{b, o}].Labels
		}
		max = int64(math.Max(float64(max), float64(sum)))
	}
	y := yAxis(c, f, float64(max), true, "labels", tickText)
	bw := f.w(c) / float64(len(buckets))
	barW := math.Min(bw*0.8, 48)
	base := c.H - f.bottom
	every := int(math.Ceil(float64(len(buckets)) / 8))
	c.Table = &Table{Head: []string{d.Unit + " (UTC)", "oracle/model", "labels", "calls", "failed calls", "cost"}}
	for i, b := range buckets {
		cx := f.left + bw*(float64(i)+0.5)
		if i%every == 0 {
			c.Labels = append(c.Labels, Label{X: cx, Y: base + 15, Text: bucketText(b, d.Unit, i == 0), Anchor: "middle", Class: "tick"})
		}
		var stack float64
		for _, o := range series {
			a := cell[key{b, o}]
			if a.Labels > 0 {
				top := y(stack + float64(a.Labels))
				c.Marks = append(c.Marks, Mark{Kind: "rect", Class: "bar", X: cx - barW/2, Y: top, W: barW, H: y(stack) - top, Fill: oc[o],
					Value: float64(a.Labels), Title: fmt.Sprintf("%s UTC · %s: %s, %s (%s failed), %s",
						bucketText(b, d.Unit, true), o, counted(a.Labels, "label"), counted(a.Calls, "call"), fmtInt(a.FailedCalls), fmtUSD(a.CostUSD))})
				stack += float64(a.Labels)
			}
			if a.Labels > 0 || a.Calls > 0 {
				c.Table.Rows = append(c.Table.Rows, []string{bucketText(b, d.Unit, true), o, fmtInt(a.Labels), fmtInt(a.Calls), fmtInt(a.FailedCalls), fmtUSD(a.CostUSD)})
			}
		}
	}
	c.Labels = append(c.Labels, Label{X: f.left + f.w(c)/2, Y: c.H - 6, Text: "time (UTC), one bar per " + d.Unit, Anchor: "middle", Class: "axis-title"})
	out := []*Chart{c}
	if d.Cost.CostUSD <= 0 {
		return out
	}

	k := &Chart{ID: "chart-cost-time", Title: "Cumulative oracle cost by oracle model",
		Subtitle: fmt.Sprintf("%s over %s (%s failed) recorded in %s", fmtUSD(d.Cost.CostUSD), counted(d.Cost.Calls, "call"), fmtInt(d.Cost.FailedCalls), d.Calls),
		Desc:     fmt.Sprintf("One line per oracle model: the money spent on its calls up to the end of each %s.", d.Unit),
		W:        960, H: 280, Legend: legend}
	var maxCost float64
	for _, a := range d.Activity {
		maxCost = math.Max(maxCost, a.CumulativeCost)
	}
	yc := yAxis(k, f, maxCost, false, "US dollars", func(v float64) string {
		if v >= 10 {
			return "$" + fmtInt(int64(v))
		}
		return "$" + strconv.FormatFloat(v, 'f', -1, 64)
	})
	for i, b := range buckets {
		if i%every == 0 {
			k.Labels = append(k.Labels, Label{X: f.left + bw*(float64(i)+0.5), Y: base + 15, Text: bucketText(b, d.Unit, i == 0), Anchor: "middle", Class: "tick"})
		}
	}
	k.Labels = append(k.Labels, Label{X: f.left + f.w(k)/2, Y: k.H - 6, Text: "time (UTC), end of each " + d.Unit, Anchor: "middle", Class: "axis-title"})
	calls := map[string]int64{}
	for _, a := range d.Activity {
		calls[a.Series()] += a.Calls
	}
	k.Legend = nil
	for _, o := range series {
		if calls[o] == 0 { // labels imported or made elsewhere: no cost line
			continue
		}
		k.Legend = append(k.Legend, Swatch{Color: oc[o], Name: o})
		var path strings.Builder
		var last float64
		var points []Mark
		for i, b := range buckets {
			a := cell[key{b, o}]
			cx, cy := f.left+bw*(float64(i)+0.5), yc(a.CumulativeCost)
			if i == 0 {
				fmt.Fprintf(&path, "M%s %s", px(cx), px(cy))
			} else {
				fmt.Fprintf(&path, " L%s %s", px(cx), px(cy))
			}
			last = a.CumulativeCost
			if a.Calls > 0 {
				points = append(points, Mark{Kind: "circle", Class: "point", X: cx, Y: cy, R: 3.5, Fill: oc[o], Value: a.CumulativeCost,
					Title: fmt.Sprintf("%s UTC · %s: %s so far (%s this %s, %s, %s failed)", bucketText(b, d.Unit, true), o,
						fmtUSD(a.CumulativeCost), fmtUSD(a.CostUSD), d.Unit, counted(a.Calls, "call"), fmtInt(a.FailedCalls))})
			}
		}
		if len(buckets) == 1 { // a single point: draw a short level segment so the line has length
			cx, cy := f.left+bw*0.5, yc(last)
			path.Reset()
			fmt.Fprintf(&path, "M%s %s L%s %s", px(cx-barW/2), px(cy), px(cx+barW/2), px(cy))
		}
		k.Marks = append(k.Marks, Mark{Kind: "path", Class: "series", D: path.String(), Stroke: oc[o], Value: last,
			Title: fmt.Sprintf("%s: %s in all", o, fmtUSD(last))})
		k.Marks = append(k.Marks, points...)
	}
	k.Table = c.Table
	return append(out, k)
}

// textOn picks black or white text, whichever contrasts more with fill.
func textOn(fill string) string {
	if len(fill) != 7 || fill[0] != '#' {
		return "#000000"
	}
	var lum float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(fill[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		lum += w * c
	}
	// Contrast with white is 1.05/(lum+0.05), with black (lum+0.05)/0.05.
	if 1.05/(lum+0.05) >= (lum+0.05)/0.05 {
		return "#ffffff"
	}
	return "#000000"
}
